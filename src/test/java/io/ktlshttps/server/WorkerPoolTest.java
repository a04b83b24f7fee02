package io.ktlshttps.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    private final List<WorkerPool> pools = new ArrayList<>();

    private WorkerPool pool(int max) {
        WorkerPool pool = new WorkerPool(max);
        pools.add(pool);
        return pool;
    }

    @AfterEach
    void shutDown() throws InterruptedException {
        for (WorkerPool pool : pools) {
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "the pool's threads ended");
        }
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertTrue(latch.await(10, TimeUnit.SECONDS), what);
    }

    /** Waits until the pool's threads number n (a thread ends a moment after its task). */
    private static void awaitThreads(WorkerPool pool, int n) throws InterruptedException {
        for (int i = 0; i < 1000 && pool.threads() != n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, pool.threads(), "threads");
    }

    /** Runs one task and returns the name of the thread it ran on, once its thread is idle again. */
    private static String runOne(WorkerPool pool) throws InterruptedException {
        AtomicReference<String> name = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        pool.execute(() -> {
            name.set(Thread.currentThread().getName());
            done.countDown();
        });
        await(done, "the task ran");
        return name.get();
    }

    @Test
    void atMostMaxRunAtOnceAndTheRestRunAsTheyFinish() throws Exception {
        WorkerPool pool = pool(2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch allDone = new CountDownLatch(5);
        for (int i = 0; i < 5; i++) {
            pool.execute(() -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                started.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.decrementAndGet();
                allDone.countDown();
            });
        }
        await(started, "two tasks started");
        assertTrue(pool.crowded(), "work is queued");
        assertEquals(2, running.get());
        release.countDown();
        await(allDone, "the three queued tasks ran too");
        assertEquals(2, most.get(), "never more than max at once");
        assertTrue(pool.threads() <= 2, "no thread beyond max: " + pool.threads());
    }

    /** An idle thread takes the next task: no new thread per task. */
    @Test
    void anIdleThreadTakesTheNextTask() throws Exception {
        WorkerPool pool = pool(4);
        String first = runOne(pool);
        awaitThreads(pool, 1);
        for (int i = 0; i < 20; i++) {
            Thread.sleep(5); // let it reach its wait, or the next task would start a thread of its own
            assertEquals(first, runOne(pool), "the idle thread again, run " + i);
        }
        assertEquals(1, pool.threads());
    }

    /** Threads idle 5 s by the poller's clock end; younger ones stay; the pool then starts afresh. */
    @Test
    void threadsIdleFiveSecondsByTheSweepsClockEnd() throws Exception {
        WorkerPool pool = pool(4);
        long t0 = 1_000_000_000L;
        pool.retireIdle(t0); // the clock the next idle thread is stamped with
        String first = runOne(pool);
        awaitThreads(pool, 1);
        Thread.sleep(50); // idle, stamped t0
        pool.retireIdle(t0 + WorkerPool.IDLE_NANOS - 1);
        Thread.sleep(50);
        assertEquals(1, pool.threads(), "idle just under 5 s: it stays");
        pool.retireIdle(t0 + WorkerPool.IDLE_NANOS);
        awaitThreads(pool, 0);
        String next = runOne(pool);
        assertNotEquals(first, next, "a new thread, as the old one ended");
    }

    @Test
    void afterShutdownIdleThreadsEndAndNewWorkIsRefused() throws Exception {
        WorkerPool pool = pool(2);
        runOne(pool);
        awaitThreads(pool, 1);
        Thread.sleep(20);
        pool.shutdown();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(0, pool.threads());
        assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
        assertFalse(pool.crowded(), "the refused task gave its permit back");
    }

    /** Shutdown lets running tasks finish, and what was queued behind them is run by those threads. */
    @Test
    void shutdownLetsRunningTasksAndTheQueueBehindThemFinish() throws Exception {
        WorkerPool pool = pool(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch queuedRan = new CountDownLatch(1);
        pool.execute(() -> {
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await(started, "the first task runs");
        pool.execute(queuedRan::countDown); // no permit: queued
        pool.shutdown();
        assertFalse(pool.awaitTermination(100, TimeUnit.MILLISECONDS), "a task still runs");
        release.countDown();
        await(queuedRan, "the queued task ran on the same thread");
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertTrue(pool.leftOver().isEmpty());
    }

    /** A task that throws ends its thread but not its permit: the pool goes on at full size. */
    @Test
    void aTaskThatThrowsDoesNotCostAPermit() throws Exception {
        WorkerPool pool = pool(1);
        Thread.UncaughtExceptionHandler quiet = (t, e) -> { };
        CountDownLatch thrown = new CountDownLatch(1);
        pool.execute(() -> {
            Thread.currentThread().setUncaughtExceptionHandler(quiet);
            thrown.countDown();
            throw new IllegalStateException("a task that fails");
        });
        await(thrown, "the task ran");
        awaitThreads(pool, 0);
        runOne(pool); // with max 1, a lost permit would queue this for ever
    }

    /**
     * A task that leaves its thread's interrupt flag set does not make the idle thread spin,
     * nor end it. The CPU readings are of a live thread: getThreadCpuTime says -1 for a dead
     * one, and a delta of two -1s would pass for an idle thread.
     */
    @Test
    void anInterruptLeftSetDoesNotMakeTheIdleThreadSpin() throws Exception {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled(),
                "this JVM measures threads' CPU time");
        WorkerPool pool = pool(1);
        AtomicReference<Thread> worker = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        pool.execute(() -> {
            worker.set(Thread.currentThread());
            Thread.currentThread().interrupt();
            ran.countDown();
        });
        await(ran, "the task ran");
        Thread w = worker.get();
        awaitParked(w);
        long cpu0 = threads.getThreadCpuTime(w.getId());
        Thread.sleep(500);
        long cpu1 = threads.getThreadCpuTime(w.getId());
        assertTrue(w.isAlive(), "the worker is alive after an interrupt left set: " + w.getState());
        assertTrue(cpu0 >= 0 && cpu1 >= cpu0, "CPU readings of a live thread: " + cpu0 + ", " + cpu1);
        assertTrue(cpu1 - cpu0 < TimeUnit.MILLISECONDS.toNanos(50),
                "an idle thread used " + (cpu1 - cpu0) / 1_000_000 + " ms of CPU in 500 ms");
        assertEquals(w.getName(), runOne(pool), "the same thread, idle, takes the next task");
        assertEquals(1, pool.threads(), "threads");
    }

    /** Waits, with a deadline that fails, until the thread is parked (idle) or has ended (then fails). */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.WAITING) {
            assertTrue(t.isAlive(), "the worker ended after a task left its interrupt flag set");
            assertTrue(System.nanoTime() < deadline, "the worker never went idle: " + t.getState());
            Thread.sleep(10);
        }
    }
}
