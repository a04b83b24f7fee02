package io.ktlshttps.http;

/**
 * A single byte range, RFC 9110 section 14: {@code bytes=a-b}, {@code a-} or {@code -n}.
 * Multiple ranges, other units and bad syntax are ignored (the whole representation is
 * sent), as section 14.2 allows.
 */
public record ByteRange(long first, long last) {
    /** The outcome of checking a Range header against a representation's length. */
    public sealed interface Outcome permits Ignored, Satisfiable, Unsatisfiable {
    }

    /** No usable Range: send everything with 200. */
    public record Ignored() implements Outcome {
    }

    /** Send this range with 206. */
    public record Satisfiable(ByteRange range) implements Outcome {
    }

    /** 416, with Content-Range: bytes *&#47;length. */
    public record Unsatisfiable() implements Outcome {
    }

    public long length() {
        return last - first + 1;
    }

    /** The Content-Range value for a 206, RFC 9110 section 14.4. */
    public String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }

    public static Outcome evaluate(String header, long size) {
        if (header == null) {
            return new Ignored();
        }
        String value = header.trim();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return new Ignored();
        }
        String spec = value.substring(6).trim();
        if (spec.indexOf(',') >= 0) {
            return new Ignored(); // several ranges: we serve the whole file instead of multipart
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Ignored();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        if (!a.matches("[0-9]{0,18}") || !b.matches("[0-9]{0,18}") || (a.isEmpty() && b.isEmpty())) {
            return new Ignored();
        }
        if (a.isEmpty()) {
            long suffix = Long.parseLong(b);
            if (suffix == 0 || size == 0) {
                return new Unsatisfiable();
            }
            return new Satisfiable(new ByteRange(Math.max(0, size - suffix), size - 1));
        }
        long first = Long.parseLong(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
        if (last < first) {
            return new Ignored(); // invalid range-spec: the header is ignored (section 14.1.1)
        }
        if (first >= size) {
            return new Unsatisfiable();
        }
        return new Satisfiable(new ByteRange(first, Math.min(last, size - 1)));
    }
}
