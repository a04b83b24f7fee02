package io.ktlshttps.server;

import io.ktlshttps.net.SocketSelector;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where connections wait with no thread: for their ClientHello, for their next request,
 * or for the peer to close after ours. One thread watches them all in a readiness
 * selector and keeps their deadlines. A connection that becomes readable goes to a
 * worker; one whose deadline passed goes to a worker flagged expired (to be closed with
 * close_notify); a lingering one is drained here, as that never blocks.
 *
 * <p>While a connection waits here, this thread owns it: nobody else reads, writes or
 * closes it. {@link #park} hands one over from any thread. The parking thread registers
 * the socket itself, so parking wakes this thread only when it must look sooner at the
 * deadlines, or the server is stopping.
 */
final class ConnectionPoller implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPoller.class);
    /** The longest select: deadlines are checked at least this often even when none is near. */
    private static final long MAX_WAIT_MILLIS = 1000;

    private final SocketSelector selector;
    private final WorkerPool workers;
    private final ServerMetrics metrics;
    private final BiConsumer<String, Error> fatal;
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    /** A connection parked with a deadline before nextSweep: sweep now, and find the next one afresh. */
    private final AtomicBoolean resweep = new AtomicBoolean();
    /**
     * The connections registered in the selector. Added by {@link #park} (any thread);
     * removed by this thread, under the connection's lock, as park holds it until the
     * registration is complete.
     */
    private final Set<ServerConnection> waiting = ConcurrentHashMap.newKeySet();
    private final byte[] sink = new byte[16 * 1024];
    private final Thread thread;
    /** The earliest deadline among the waiting connections (nanoTime), or a second from the last sweep. */
    private volatile long nextSweep;
    private volatile boolean stopping;
    private volatile boolean closed;

    ConnectionPoller(WorkerPool workers, ServerMetrics metrics, BiConsumer<String, Error> fatal) throws IOException {
        this.selector = new SocketSelector();
        this.workers = workers;
        this.metrics = metrics;
        this.fatal = fatal;
        this.thread = new Thread(this, "poller");
        this.thread.setDaemon(true);
        this.nextSweep = System.nanoTime();
    }

    void start() {
        thread.start();
    }

    /**
     * Hands a connection over to wait here, from its owner (any thread); its deadline is
     * already set. The caller must not touch it afterwards: it may be readable, and with a
     * worker again, before this returns.
     */
    void park(ServerConnection c) {
        boolean wake = stopping;
        synchronized (c) {
            waiting.add(c);
            metrics.idleConnections.increment();
            metrics.parks.increment();
            if (c.deadline() - nextSweep < 0) {
                resweep.set(true);
                wake = true;
            }
            try {
                if (c.waitsToWrite()) {
                    selector.registerForWrite(c.socket(), c);
                } else {
                    selector.register(c.socket(), c);
                }
            } catch (IOException e) {
                waiting.remove(c);
                metrics.idleConnections.decrement();
                LOG.warn("cannot wait for a connection to become ready, closing it: {}", e.getMessage());
                c.closeNow();
                return;
            }
        }
        if (wake) {
            wakeUp();
        }
    }

    private void wakeUp() {
        if (wakeRequested.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /** Shutdown, first step: every connection waiting for a request is sent to be closed, and so is every later one. */
    void beginStop() {
        stopping = true;
        wakeUp();
    }

    @Override
    public void run() {
        try {
            while (!closed) {
                FaultInjection.at(FaultInjection.Point.POLLER);
                long waitMillis = Math.max(0, Math.min(MAX_WAIT_MILLIS,
                        (nextSweep - System.nanoTime() + 999_999) / 1_000_000));
                selector.select(stopping ? Math.min(waitMillis, 20) : waitMillis, this::ready);
                wakeRequested.set(false); // a park after this line wakes the next select
                if (resweep.getAndSet(false)) {
                    nextSweep = System.nanoTime();
                }
                sweep();
            }
        } catch (Error e) {
            fatal.accept("the connection poller", e);
        } catch (RuntimeException e) {
            // Without this thread no waiting connection is ever served again: a deaf server.
            fatal.accept("the connection poller", Fatal.unexpected(e));
        } catch (IOException e) {
            fatal.accept("the connection poller", new InternalError("the connection poller failed: " + e, e));
        }
    }

    private void ready(Object attachment) {
        ServerConnection c = (ServerConnection) attachment;
        synchronized (c) { // until its park has returned from registering
            if (!waiting.remove(c)) {
                return;
            }
        }
        metrics.idleConnections.decrement();
        c.expired(false);
        dispatch(c);
    }

    /** Sends every connection whose deadline passed to be closed; all but the lingering ones when stopping. */
    private void sweep() {
        long now = System.nanoTime();
        if (now - nextSweep < 0 && !stopping) {
            return;
        }
        workers.retireIdle(now); // at least once a second: the pool reads no clock of its own
        long next = now + MAX_WAIT_MILLIS * 1_000_000;
        List<ServerConnection> due = new ArrayList<>();
        for (ServerConnection c : waiting) { // weakly consistent: parks go on meanwhile
            // Stopping sends every waiting connection to be closed, except those in the middle
            // of a response (waiting for room to write): they have the grace period to finish.
            boolean stop = stopping && c.phase() != ServerConnection.Phase.LINGER && !c.waitsToWrite();
            if (stop || c.deadline() - now <= 0) {
                synchronized (c) { // until its park has returned from registering
                    if (!waiting.remove(c)) {
                        continue;
                    }
                }
                due.add(c);
            } else if (c.deadline() - next < 0) {
                next = c.deadline();
            }
        }
        nextSweep = next;
        for (ServerConnection c : due) {
            selector.cancel(c.socket());
            metrics.idleConnections.decrement();
            c.expired(true);
            dispatch(c);
        }
    }

    /** The next step of a connection that stops waiting: lingering ones here, the rest on a worker. */
    private void dispatch(ServerConnection c) {
        if (c.phase() == ServerConnection.Phase.LINGER) {
            boolean again;
            try {
                again = c.lingerStep(sink);
            } catch (RuntimeException e) { // that connection's failure, not the poller's
                c.failed(e);
                return;
            }
            if (again) {
                park(c);
            }
            return;
        }
        try {
            workers.execute(c);
        } catch (RejectedExecutionException e) {
            LOG.debug("no worker to take a connection: closing it");
            c.closeNow(); // only after the workers were shut down
        }
    }

    /**
     * Stops this thread and closes every connection still waiting (they are its own;
     * after the thread has ended they are this caller's).
     */
    void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("the connection poller did not stop");
            return;
        }
        for (ServerConnection c : waiting) {
            metrics.idleConnections.decrement();
            c.closeNow();
        }
        waiting.clear();
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing the selector: {}", e.getMessage());
        }
    }
}
