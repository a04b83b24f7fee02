package io.ktlshttps.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the heap a burst of work grew back to the operating system once the server has
 * been quiet for a while. Handshakes make garbage fast, so the JVM grows its heap during a
 * burst and, left alone, keeps that memory committed while thousands of connections sit
 * idle (docs/benchmarks/: the idle scenario). Once no second has seen more than a trickle
 * of handshakes and requests for {@code quiet} since a busier one, one full collection
 * ({@code System.gc()}) runs, and for its length the heap's free share is held to at most
 * 30 % (MaxHeapFreeRatio; MinHeapFreeRatio 10), where the JVM's default lets 70 % of it
 * sit free. The ratios go back to what they were afterwards, so the heap grows under load
 * as it would have. One collection per quiet spell: a server that stays idle collects
 * nothing more. Flags the user set (the two ratios, -XX:+DisableExplicitGC) are obeyed.
 *
 * <p>A full collection, not G1's periodic concurrent one (JEP 346, G1PeriodicGCInterval):
 * that one shrinks the heap at Remark by what is in use then, and the objects of the
 * connections that have just gone still are, until mixed collections that an idle server
 * never runs; measured, it gave back a quarter of what a full collection does. The price
 * is one pause (about 40 ms for 15 MB live on the development machine; it grows with the
 * live heap, so with the idle connections held), once, when nothing else is happening.
 */
public final class HeapReturn implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeapReturn.class);
    private static final String MIN_FREE = "MinHeapFreeRatio";
    private static final String MAX_FREE = "MaxHeapFreeRatio";
    /** The heap's free share at most, while the collection runs (percent). */
    static final String TIGHT_MAX_FREE = "30";
    static final String TIGHT_MIN_FREE = "10";

    /**
     * Serial shrinks its old generation in steps (ShrinkHeapInSteps): none
     * at the first full collection that could, 10 % of the excess at the second, 40 % at
     * the third, all of it at the fourth, so that a program calling System.gc() between
     * phases does not shrink and regrow. A quiet server is not between phases: four. G1's
     * full collection shrinks at once. Other collectors get four too (measured with Serial
     * and G1 only).
     */
    static final int STEPPED_COLLECTIONS = 4;

    private final ScheduledExecutorService timer;
    private final String description;

    private HeapReturn(ScheduledExecutorService timer, String description) {
        this.timer = timer;
        this.description = description;
    }

    /** Off: nothing runs. */
    public static HeapReturn off() {
        return new HeapReturn(null, "heap: returned to the OS as the JVM decides (--return-heap-after off)");
    }

    /**
     * Starts watching {@code work} (a count that grows with every handshake and request)
     * once a second.
     */
    public static HeapReturn start(Duration quiet, LongSupplier work, BooleanSupplier busy) {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot == null) {
            return new HeapReturn(null, "heap: not returned after bursts (this JVM has no HotSpot diagnostic bean)");
        }
        try {
            return start(quiet, work, busy, hotspot);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return new HeapReturn(null, "heap: not returned after bursts (" + e.getMessage() + ")");
        }
    }

    private static HeapReturn start(Duration quiet, LongSupplier work, BooleanSupplier busy,
            HotSpotDiagnosticMXBean hotspot) {
        List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
        String gc = collectors.isEmpty() ? "unknown" : collectors.get(0).getName().split(" ")[0];
        boolean g1 = collectors.stream().anyMatch(c -> c.getName().startsWith("G1 "));
        if ("true".equals(hotspot.getVMOption("DisableExplicitGC").getValue())) {
            return new HeapReturn(null, "heap: " + gc + "; not returned after bursts (-XX:+DisableExplicitGC)");
        }
        Ratios ratios = new Ratios(hotspot);
        int collections = g1 ? 1 : STEPPED_COLLECTIONS;
        return schedule(quiet, work, busy, () -> {
            try {
                ratios.tighten();
                for (int i = 0; i < collections; i++) {
                    System.gc();
                }
            } finally {
                ratios.restore();
            }
        }, "heap: " + gc + "; " + (collections == 1 ? "one full collection returns" : collections + " full collections return")
                + " what a burst grew after " + (quiet.toMillis() % 1000 == 0 ? quiet.toSeconds() + " s"
                : quiet.toMillis() + " ms") + " without work, " + ratios.describe()
                + " (--return-heap-after)");
    }

    private static HeapReturn schedule(Duration quiet, LongSupplier work, BooleanSupplier busy, Runnable collect,
            String description) {
        QuietSpell spell = new QuietSpell(quiet.toNanos());
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heap-return");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                FaultInjection.at(FaultInjection.Point.HEAP_RETURN);
                if (spell.tick(System.nanoTime(), work.getAsLong(), busy.getAsBoolean())) {
                    LOG.debug("quiet for {}: collecting to return heap", quiet);
                    collect.run();
                }
            } catch (Error e) {
                // A scheduled task's Error would be kept in its Future, unseen, and the task
                // never run again.
                Fatal.exit("the heap-return task", e);
            } catch (RuntimeException e) {
                Fatal.exit("the heap-return task", Fatal.unexpected(e));
            }
        }, 1, 1, TimeUnit.SECONDS);
        return new HeapReturn(timer, description);
    }

    /** For the banner: which collector, and how memory goes back. */
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** MinHeapFreeRatio and MaxHeapFreeRatio: tightened for a collection, then as they were. */
    private static final class Ratios {
        private final HotSpotDiagnosticMXBean hotspot;
        private final boolean ours;
        private final String min;
        private final String max;

        Ratios(HotSpotDiagnosticMXBean hotspot) {
            this.hotspot = hotspot;
            VMOption minFree = hotspot.getVMOption(MIN_FREE);
            VMOption maxFree = hotspot.getVMOption(MAX_FREE);
            this.ours = minFree.getOrigin() == VMOption.Origin.DEFAULT && maxFree.getOrigin() == VMOption.Origin.DEFAULT
                    && Integer.parseInt(minFree.getValue()) >= Integer.parseInt(TIGHT_MIN_FREE)
                    && Integer.parseInt(maxFree.getValue()) >= Integer.parseInt(TIGHT_MAX_FREE);
            this.min = minFree.getValue();
            this.max = maxFree.getValue();
        }

        String describe() {
            return ours ? "keeping " + TIGHT_MAX_FREE + " % of the heap free at most"
                    : "keeping " + max + " % free at most (" + MIN_FREE + "/" + MAX_FREE + " given)";
        }

        /** Min first, then max: the JVM refuses a max under the min. */
        void tighten() {
            if (ours) {
                hotspot.setVMOption(MIN_FREE, TIGHT_MIN_FREE);
                hotspot.setVMOption(MAX_FREE, TIGHT_MAX_FREE);
            }
        }

        void restore() {
            if (ours) {
                hotspot.setVMOption(MAX_FREE, max);
                hotspot.setVMOption(MIN_FREE, min);
            }
        }
    }

    /**
     * Decides when: after a busy second (more than a trickle of work), once no second has
     * been busy for {@code quiet}; then not again until another busy second. A trickle (a
     * health check or a status scrape: one connection and one request a second at most)
     * neither counts as a burst nor postpones the collection. A connection with work in
     * hand (a long download is one request) postpones it: the pause would stall it.
     */
    static final class QuietSpell {
        /** Work in one second that is still quiet: one handshake and one request. */
        static final long TRICKLE = 2;
        private final long quietNanos;
        private long lastWork = Long.MIN_VALUE;
        private long since;
        private boolean owed;

        QuietSpell(long quietNanos) {
            if (quietNanos <= 0) {
                throw new IllegalArgumentException("the quiet time must be positive");
            }
            this.quietNanos = quietNanos;
        }

        /**
         * Called about once a second with the work count and whether a connection has work
         * in hand now; true when a collection is due.
         */
        boolean tick(long now, long work, boolean busy) {
            long done = lastWork == Long.MIN_VALUE ? 0 : work - lastWork; // the first look: nothing done yet
            lastWork = work;
            if (done > TRICKLE) {
                since = now;
                owed = true;
                return false;
            }
            if (busy) {
                since = now;
                return false;
            }
            if (owed && now - since >= quietNanos) {
                owed = false;
                return true;
            }
            return false;
        }
    }
}
