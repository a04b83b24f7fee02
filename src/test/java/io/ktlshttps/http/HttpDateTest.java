package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The Date header's text is kept for the current second: every other instant must still format right. */
class HttpDateTest {
    @Test
    void formatsEachSecondRightWhateverWasFormattedBefore() {
        Instant t = Instant.parse("2026-11-26T10:15:30.250Z");
        assertEquals("Thu, 26 Nov 2026 10:15:30 GMT", HttpDate.format(t));
        assertEquals("Thu, 26 Nov 2026 10:15:30 GMT", HttpDate.format(t.plusMillis(700)), "same second, kept text");
        assertEquals("Thu, 26 Nov 2026 10:15:31 GMT", HttpDate.format(t.plusMillis(750)), "the next second");
        assertEquals("Wed, 01 Jan 2025 00:00:00 GMT", HttpDate.format(Instant.parse("2025-01-01T00:00:00Z")),
                "an older Last-Modified in between");
        assertEquals("Thu, 26 Nov 2026 10:15:31 GMT", HttpDate.format(t.plusMillis(999)));
        assertEquals(Instant.parse("2026-11-26T10:15:31Z"), HttpDate.parse(HttpDate.format(t.plusSeconds(1))));
    }

    @Test
    void theDateForAMomentIsTheWallClocksSecondThenAcrossSecondBoundaries() throws InterruptedException {
        long until = System.nanoTime() + 2_200_000_000L; // two second boundaries at least
        int samples = 0;
        while (System.nanoTime() - until < 0) {
            String before = HttpDate.format(Instant.now());
            String text = HttpDate.now(System.nanoTime());
            String after = HttpDate.format(Instant.now());
            assertTrue(text.equals(before) || text.equals(after), before + " / " + text + " / " + after);
            samples++;
            Thread.sleep(7);
        }
        assertTrue(samples > 100, "samples " + samples);
    }
}
