package io.ktlshttps.server;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Worker threads for connections with work. At most {@code max} tasks run at once; more
 * wait in a queue, taken by the next thread that finishes. A thread is made only when no
 * idle one is waiting (a cached pool), so a burst of short tasks does not leave the whole
 * maximum standing, and a thread idle for about {@link #IDLE_NANOS} ends, so an idle server
 * holds none.
 *
 * <p>An idle thread waits untimed, and the next task goes to the one idle most recently
 * (its stack and caches are warm); the ones idle longest are ended by {@link #retireIdle},
 * which the connection poller calls on its sweeps, about once a second, with the clock
 * reading it has anyway. A ThreadPoolExecutor over a SynchronousQueue, used before, waits
 * with a timeout, and reads the clock four times each time a thread goes idle, that is
 * once per connection: in User-Mode Linux, where a clock reading is a system call, that
 * was a twentieth of a handshake's CPU. (A ThreadPoolExecutor cannot bound and cache
 * alone anyway: below its core size it makes a thread per task, busy or not; above it, it
 * queues only once the queue refuses.)
 */
final class WorkerPool implements Executor {
    /** How long a thread stays idle before it ends: 5 s, give or take the poller's second. */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final int max;
    private final Semaphore running;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    /** Idle threads, the most recently idle first. */
    private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** Threads started and not yet ended; {@link #ended} is notified when it reaches 0. */
    private final AtomicInteger alive = new AtomicInteger();
    private final Object ended = new Object();
    private volatile boolean shutdown;
    /** The clock reading of the last {@link #retireIdle}: when a thread goes idle, to a second or so. */
    private volatile long lastSweepNanos = System.nanoTime();

    WorkerPool(int max) {
        this.max = max;
        this.running = new Semaphore(max);
    }

    /**
     * Runs the task on a worker now, or queues it while {@code max} are running.
     *
     * @throws RejectedExecutionException after {@link #shutdown}, when the task would need a thread
     */
    @Override
    public void execute(Runnable task) {
        if (running.tryAcquire()) {
            start(task);
            return;
        }
        waiting.add(task);
        // A worker may have finished between the failed acquire and the add, and found
        // nothing waiting: check again, or the task could wait for the next one to finish.
        while (!waiting.isEmpty() && running.tryAcquire()) {
            Runnable next = waiting.poll();
            if (next == null) {
                running.release();
            } else {
                start(next);
            }
        }
    }

    /** Starts a run with a permit already held: on an idle thread, else a new one; gives the permit back on failure. */
    private void start(Runnable first) {
        if (shutdown) {
            running.release();
            throw new RejectedExecutionException("the workers are shut down");
        }
        for (Worker w; (w = idle.pollFirst()) != null; ) {
            if (w.take(first)) {
                return;
            }
            // it was ended by retireIdle or shutdown meanwhile: try the next
        }
        Worker w = new Worker(first);
        Thread t = new Thread(w, "worker-" + ids.incrementAndGet());
        t.setDaemon(true);
        w.thread = t;
        alive.incrementAndGet();
        try {
            t.start();
        } catch (RuntimeException | Error e) { // OutOfMemoryError: unable to create a native thread
            threadEnded();
            running.release();
            throw e;
        }
    }

    /**
     * Ends the threads that have been idle for {@link #IDLE_NANOS} or more at {@code nowNanos}
     * ({@link System#nanoTime}), and remembers the reading for the threads that go idle next.
     */
    void retireIdle(long nowNanos) {
        lastSweepNanos = nowNanos;
        Worker oldest = idle.peekLast();
        if (oldest == null || nowNanos - oldest.idleSince < IDLE_NANOS) {
            return; // nearly always: nothing to look through
        }
        for (Iterator<Worker> it = idle.descendingIterator(); it.hasNext(); ) {
            Worker w = it.next();
            if (nowNanos - w.idleSince < IDLE_NANOS) {
                break; // the rest went idle later
            }
            if (w.retire()) {
                it.remove();
            }
        }
    }

    /**
     * Whether work is queued, or three quarters of the workers are taken: then a worker
     * should not hold a connection that has nothing to do, even briefly.
     */
    boolean crowded() {
        return !waiting.isEmpty() || running.availablePermits() <= max / 4;
    }

    /** No new threads, and idle ones end; running tasks go on, waiting ones are run by the threads still at work. */
    void shutdown() {
        shutdown = true;
        for (Worker w; (w = idle.pollFirst()) != null; ) {
            w.retire();
        }
    }

    /** After {@link #shutdown}: true once every thread has ended, false if the time passed first. */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (ended) {
            while (alive.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(ended, left);
            }
        }
        return shutdown;
    }

    /** After termination: the tasks nobody ran, for the caller to dispose of. */
    List<Runnable> leftOver() {
        List<Runnable> left = new ArrayList<>();
        Runnable r;
        while ((r = waiting.poll()) != null) {
            left.add(r);
        }
        return left;
    }

    /** Threads started and not yet ended. */
    int threads() {
        return alive.get();
    }

    private void threadEnded() {
        if (alive.decrementAndGet() == 0) {
            synchronized (ended) {
                ended.notifyAll();
            }
        }
    }

    /** Runs the task, then whatever waits, then gives the permit back and checks once more. */
    private void work(Runnable task) {
        while (true) {
            try {
                while (task != null) {
                    task.run(); // ServerConnection.run catches everything but an Error, which halts
                    task = waiting.poll();
                }
            } finally {
                running.release(); // also when a task threw: its permit is not lost with the thread
            }
            if (waiting.isEmpty() || !running.tryAcquire()) {
                return;
            }
            task = waiting.poll(); // null if another thread took it: then release and look again
        }
    }

    private final class Worker implements Runnable {
        private static final int RUNNING = 0;
        private static final int IDLE = 1;
        private static final int TAKEN = 2;
        private static final int RETIRED = 3;

        /** RUNNING, then IDLE in {@link #idle}; from IDLE a starter makes it TAKEN, or retiring RETIRED. */
        private final AtomicInteger state = new AtomicInteger(RUNNING);
        private volatile Runnable next;
        private volatile Thread thread;
        private volatile long idleSince;

        Worker(Runnable first) {
            this.next = first;
        }

        /** From a starter that took it off the idle stack: hands it the task; false if it ended first. */
        boolean take(Runnable task) {
            if (!state.compareAndSet(IDLE, TAKEN)) {
                return false;
            }
            next = task;
            LockSupport.unpark(thread);
            return true;
        }

        /** Ends it if it is idle; the caller removes it from the idle stack. */
        boolean retire() {
            if (!state.compareAndSet(IDLE, RETIRED)) {
                return false;
            }
            LockSupport.unpark(thread);
            return true;
        }

        @Override
        public void run() {
            try {
                Runnable task = next;
                next = null;
                while (task != null) {
                    work(task);
                    task = awaitTask();
                }
            } finally {
                threadEnded();
            }
        }

        /** Waits idle, untimed, for the next task; null when it is to end. */
        private Runnable awaitTask() {
            idleSince = lastSweepNanos;
            state.set(IDLE);
            idle.addFirst(this);
            if (shutdown && retire()) { // shutdown() may have emptied the stack before this was on it
                idle.remove(this);
                return null;
            }
            while (true) {
                int s = state.get();
                if (s == RETIRED) {
                    return null;
                }
                if (s == TAKEN) {
                    Runnable task = next; // null for a moment: the starter writes it after the state
                    if (task != null) {
                        next = null;
                        state.set(RUNNING);
                        return task;
                    }
                }
                Thread.interrupted(); // a flag left set by a task would make every park return at once
                LockSupport.park(this);
            }
        }
    }
}
