package io.ktlshttps.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** HTTP dates, RFC 9110 section 5.6.7: IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in. */
public final class HttpDate {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC_850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC);

    /** The Date header's value for the current second, formatted once per second. */
    private record Second(long epochSecond, String text) {
    }

    private static volatile Second current = new Second(Long.MIN_VALUE, "");

    /**
     * The Date text for a span of {@link System#nanoTime}: the wall-clock second that
     * contains it, as read at {@code from}. Reading the wall clock costs a system call
     * where the clock has no vDSO (User-Mode Linux, some VMs); this way a request reads
     * the wall clock at most once a second, and a step of the wall clock shows within a
     * second.
     */
    private record Span(long from, long until, String text) {
    }

    private static volatile Span span = new Span(0, 0, "");
    private static final long EDGE_NANOS = 3_000_000;

    private HttpDate() {
    }

    /**
     * The Date header's value for a moment read from {@link System#nanoTime} (in the last
     * second or so): the wall clock's second at that moment, from a wall-clock reading at
     * most a second old.
     */
    public static String now(long nanos) {
        Span s = span;
        if (nanos - s.from() >= 0 && nanos - s.until() < 0) {
            return s.text();
        }
        long at = System.nanoTime();
        long wallMillis = System.currentTimeMillis();
        long intoSecond = Math.floorMod(wallMillis, 1000L) * 1_000_000L;
        String text = format(Instant.ofEpochMilli(wallMillis));
        // This wall-clock second in nanoTime terms, known to a millisecond or so (the
        // wall clock's resolution, the time between the two readings): the span leaves
        // out a margin at both ends, where the next call reads the wall clock again.
        long start = at - intoSecond;
        span = new Span(start + EDGE_NANOS, start + 1_000_000_000L - EDGE_NANOS, text); // racing stores are as right
        return text;
    }

    public static String format(Instant instant) {
        long second = instant.getEpochSecond();
        Second s = current;
        if (s.epochSecond() == second) {
            return s.text();
        }
        String text = IMF_FIXDATE.format(instant);
        if (second > s.epochSecond()) {
            current = new Second(second, text); // races only ever store a correct pair
        }
        return text;
    }

    /** Parses any of the three formats; null if it is none of them (the header is then ignored). */
    public static Instant parse(String value) {
        if (value == null) {
            return null;
        }
        for (DateTimeFormatter f : new DateTimeFormatter[] {IMF_FIXDATE, RFC_850, ASCTIME}) {
            try {
                return ZonedDateTime.parse(value.trim(), f).toInstant();
            } catch (DateTimeParseException e) {
                // try the next format
            }
        }
        return null;
    }
}
