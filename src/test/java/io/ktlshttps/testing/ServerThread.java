package io.ktlshttps.testing;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the server half of a test on its own thread and hands its result, or its failure,
 * back to the JUnit thread: an assertion or exception there fails the test.
 */
public final class ServerThread<T> implements AutoCloseable {
    /** The server's work. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-server");
        t.setDaemon(true);
        return t;
    });
    private final Future<T> future;

    public ServerThread(Work<T> work) {
        this.future = executor.submit(work::run);
    }

    /** Waits for the server's result; rethrows its failure (AssertionError included). */
    public T join() throws Exception {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw (Exception) cause;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AssertionError("the server side did not finish within 60 s", e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
