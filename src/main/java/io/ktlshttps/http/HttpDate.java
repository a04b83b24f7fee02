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

    private HttpDate() {
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
