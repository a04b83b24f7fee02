package io.ktlshttps.http;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Conditional GET and HEAD, RFC 9110 section 13, for a representation's ETag and modification time. */
public final class Preconditions {
    private Preconditions() {
    }

    /**
     * True if the client's copy is current and 304 is the answer (section 13.2.2 steps 3
     * and 4): If-None-Match decides when present (weak comparison); otherwise
     * If-Modified-Since, compared at one-second resolution.
     */
    public static boolean notModified(HttpRequest request, String etag, Instant lastModified) {
        String ifNoneMatch = request.header("If-None-Match");
        if (ifNoneMatch != null) {
            return matchesAny(ifNoneMatch, etag, false);
        }
        Instant since = HttpDate.parse(request.header("If-Modified-Since"));
        return since != null && !lastModified.truncatedTo(ChronoUnit.SECONDS).isAfter(since);
    }

    /**
     * Whether a Range request may be honoured (section 13.1.5): without If-Range, yes;
     * with an entity tag, only on a strong match; with a date, only if it equals
     * Last-Modified exactly.
     */
    public static boolean rangeApplies(HttpRequest request, String etag, Instant lastModified) {
        String ifRange = request.header("If-Range");
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.trim();
        if (value.startsWith("\"") || value.startsWith("W/")) {
            return matchesAny(value, etag, true);
        }
        Instant date = HttpDate.parse(value);
        return date != null && date.equals(lastModified.truncatedTo(ChronoUnit.SECONDS));
    }

    /** Section 8.8.3.2: weak comparison ignores W/; strong comparison needs two strong, equal tags. */
    static boolean matchesAny(String list, String etag, boolean strong) {
        if (list.trim().equals("*")) {
            return !strong;
        }
        for (String candidate : list.split(",")) {
            String c = candidate.trim();
            boolean weak = c.startsWith("W/");
            if (weak && strong) {
                continue;
            }
            if ((weak ? c.substring(2) : c).equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
