package io.ktlshttps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a collection is due: the rule, on a fake clock (the memory it returns: HeapReturnProcessTest). */
class HeapReturnTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);

    @Test
    void collectsOnceAfterABurstFollowedByQuiet() {
        HeapReturn.QuietSpell spell = new HeapReturn.QuietSpell(10 * S);
        assertFalse(spell.tick(0, 500, false), "the first look: what came before is not a burst");
        assertFalse(spell.tick(20 * S, 500, false), "no work since");
        assertFalse(spell.tick(21 * S, 900, false), "a burst");
        assertFalse(spell.tick(30 * S, 900, false), "quiet for 9 s");
        assertTrue(spell.tick(31 * S, 900, false), "quiet for 10 s");
        for (long t = 32; t < 100; t++) {
            assertFalse(spell.tick(t * S, 900, false), "still quiet at " + t + " s: collected already");
        }
        assertFalse(spell.tick(100 * S, 950, false), "another burst");
        assertFalse(spell.tick(109 * S, 950, false));
        assertTrue(spell.tick(110 * S, 950, false), "quiet again for 10 s");
    }

    @Test
    void aTrickleNeitherStartsNorPostponesACollection() {
        HeapReturn.QuietSpell spell = new HeapReturn.QuietSpell(5 * S);
        spell.tick(0, 0, false);
        long work = 0;
        for (long t = 1; t < 30; t++) {
            work += HeapReturn.QuietSpell.TRICKLE; // a health check every second
            assertFalse(spell.tick(t * S, work, false), "a trickle only, at " + t + " s");
        }
        work += 100;
        assertFalse(spell.tick(30 * S, work, false), "a burst");
        for (long t = 31; t < 35; t++) {
            work += HeapReturn.QuietSpell.TRICKLE;
            assertFalse(spell.tick(t * S, work, false), t + " s");
        }
        work += HeapReturn.QuietSpell.TRICKLE;
        assertTrue(spell.tick(35 * S, work, false), "5 s of trickle after the burst");
    }

    @Test
    void aConnectionWithWorkInHandPostponesIt() {
        HeapReturn.QuietSpell spell = new HeapReturn.QuietSpell(5 * S);
        spell.tick(0, 0, false);
        assertFalse(spell.tick(S, 100, false), "a burst");
        for (long t = 2; t < 20; t++) {
            assertFalse(spell.tick(t * S, 100, true), "a long download, no new work, at " + t + " s");
        }
        assertFalse(spell.tick(20 * S, 100, false), "it ended");
        assertFalse(spell.tick(23 * S, 100, false));
        assertTrue(spell.tick(24 * S, 100, false), "5 s after the last busy second");
    }

    @Test
    void steadyWorkNeverCollects() {
        HeapReturn.QuietSpell spell = new HeapReturn.QuietSpell(3 * S);
        spell.tick(0, 0, false);
        for (long t = 1; t < 100; t++) {
            assertFalse(spell.tick(t * S, t * 50, false), "busy at " + t + " s");
        }
    }

    @Test
    void countsTheQuietFromTheLastBusySecond() {
        HeapReturn.QuietSpell spell = new HeapReturn.QuietSpell(5 * S);
        spell.tick(0, 0, false);
        spell.tick(S, 10, false);
        spell.tick(4 * S, 20, false);
        assertFalse(spell.tick(8 * S, 20, false), "4 s after the last burst");
        assertTrue(spell.tick(9 * S, 20, false));
    }

    @Test
    void quietTimeMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new HeapReturn.QuietSpell(0));
    }

    @Test
    void describesTheCollectorInUse() {
        try (HeapReturn off = HeapReturn.off()) {
            assertTrue(off.describe().contains("off"), off.describe());
        }
        try (HeapReturn on = HeapReturn.start(java.time.Duration.ofSeconds(7), () -> 0, () -> false)) {
            String gc = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().get(0).getName()
                    .split(" ")[0];
            assertTrue(on.describe().startsWith("heap: " + gc), on.describe());
            assertEquals(true, on.describe().contains("7 s") || on.describe().contains("given"), on.describe());
        }
    }
}
