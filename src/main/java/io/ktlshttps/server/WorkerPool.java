package io.ktlshttps.server;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Worker threads for connections with work. At most {@code max} tasks run at once; more
 * wait in a queue, taken by the next thread that finishes. A thread is made only when no
 * idle one is waiting (a cached pool), so a burst of short tasks does not leave the whole
 * maximum standing, and a thread idle for 5 s ends, so an idle server holds none.
 *
 * <p>(A ThreadPoolExecutor cannot do both alone: below its core size it makes a thread per
 * task, busy or not; above it, it queues only once the queue refuses.)
 */
final class WorkerPool implements Executor {
    private final int max;
    private final Semaphore running;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private final ThreadPoolExecutor threads;

    WorkerPool(int max) {
        this.max = max;
        this.running = new Semaphore(max);
        AtomicInteger ids = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "worker-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs the task on a worker now, or queues it while {@code max} are running.
     *
     * @throws java.util.concurrent.RejectedExecutionException after {@link #shutdown}
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

    /** Starts a run with a permit already held; gives the permit back if no thread takes it. */
    private void start(Runnable first) {
        try {
            threads.execute(() -> work(first));
        } catch (RuntimeException e) {
            running.release();
            throw e;
        }
    }

    /** Runs the task, then whatever waits, then gives the permit back and checks once more. */
    private void work(Runnable task) {
        while (true) {
            while (task != null) {
                task.run(); // ServerConnection.run catches everything but an Error, which halts
                task = waiting.poll();
            }
            running.release();
            if (waiting.isEmpty() || !running.tryAcquire()) {
                return;
            }
            task = waiting.poll(); // null if another thread took it: then release and look again
        }
    }

    /**
     * Whether work is queued, or three quarters of the workers are taken: then a worker
     * should not hold a connection that has nothing to do, even briefly.
     */
    boolean crowded() {
        return !waiting.isEmpty() || running.availablePermits() <= max / 4;
    }

    /** No new threads; running tasks go on, waiting ones are run by the threads still at work. */
    void shutdown() {
        threads.shutdown();
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return threads.awaitTermination(timeout, unit);
    }

    /** After termination: the tasks nobody ran, for the caller to dispose of. */
    java.util.List<Runnable> leftOver() {
        java.util.List<Runnable> left = new java.util.ArrayList<>();
        Runnable r;
        while ((r = waiting.poll()) != null) {
            left.add(r);
        }
        return left;
    }
}
