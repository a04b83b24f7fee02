package io.ktlshttps.server;

import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.SocketSelector;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that owns connections for their whole life: its own epoll set, its own
 * deadlines ({@link TimerHeap}), and one clock reading per turn, handed to everything the
 * turn does. It accepts from the listener all loops share (EPOLLEXCLUSIVE: a new connection
 * wakes one waiting loop), so a connection is never handed from one thread to another.
 *
 * <p>A turn: wait in epoll_wait until a socket is ready or the earliest deadline; read the
 * clock; accept what is queued, if this loop was woken for the listener; run each ready
 * connection; expire the deadlines that passed; run what other threads asked of it (stop).
 * A connection's own RuntimeException ends that connection only ({@link ServerConnection});
 * anything else that escapes, and any Error, ends the process (status 70): a loop that is
 * gone leaves its connections unserved.
 */
final class EventLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    /** The longest wait in epoll_wait with no deadline near. */
    private static final long MAX_WAIT_MILLIS = 1000;
    /** Connections accepted per turn at most, so that a flood of new ones cannot starve those it has. */
    private static final int ACCEPTS_PER_TURN = 32;
    /** After accept(2) failed (EMFILE, ENFILE, ENOBUFS): the listener is left alone this long. */
    private static final long ACCEPT_PAUSE_NANOS = 100_000_000L;

    private final String name;
    private final ServerContext context;
    private final Listener listener;
    private final SocketSelector selector;
    private final TimerHeap timers = new TimerHeap();
    /** The connections this loop owns; its thread only. */
    private final Set<ServerConnection> connections = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Object> ready = new ArrayList<>();
    /** Collects what epoll_wait returned, to be run once the turn's clock is read (one object, not one per turn). */
    private final java.util.function.Consumer<Object> collect = ready::add;
    /** The request buffer and the linger sink of every connection of this loop, used within a turn. */
    private final byte[] scratch = new byte[16 * 1024];
    private final Thread thread;
    /**
     * Connections not yet closed nor lingering, for {@link HttpsServer#stop} to read; -1
     * until this loop has begun to stop (it counts only then).
     */
    private volatile int unfinished = -1;
    private long now;
    private boolean watching;
    /** When accepting starts again after a failed accept(2), or 0. */
    private long acceptPausedUntil;
    private boolean stopping;
    private boolean finished;
    /** This loop has told the listener it stopped watching for good. */
    private boolean listenerLeft;

    /**
     * What the loops share: the listener, the connection slots, and the loops paused for
     * want of a slot. Only a loop's thread accepts, and the last loop that stops watching
     * the listener closes it: closed while another accepted on it, the fd number could
     * already be another socket's.
     */
    static final class Listener {
        final NativeServerSocket socket;
        private final int maxConnections;
        private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger watchers = new java.util.concurrent.atomic.AtomicInteger();
        private final Queue<EventLoop> waitingForSlot = new ConcurrentLinkedQueue<>();

        Listener(NativeServerSocket socket, int maxConnections, int loops) {
            this.socket = socket;
            this.maxConnections = maxConnections;
            this.watchers.set(loops);
        }

        boolean takeSlot() {
            if (held.incrementAndGet() > maxConnections) {
                held.decrementAndGet();
                return false;
            }
            return true;
        }

        void releaseSlot() {
            held.decrementAndGet();
            EventLoop waiting;
            while ((waiting = waitingForSlot.poll()) != null) {
                waiting.execute(waiting::slotFreed);
            }
        }

        int held() {
            return held.get();
        }

        /** A loop stops watching; the last one closes the listener. */
        void leave() {
            if (watchers.decrementAndGet() == 0) {
                try {
                    socket.close();
                } catch (IOException e) {
                    LOG.debug("closing the listener: {}", e.getMessage());
                }
            }
        }
    }

    EventLoop(int index, ServerContext context, Listener listener) throws IOException {
        this.name = "loop-" + index;
        this.context = context;
        this.listener = listener;
        this.selector = new SocketSelector();
        this.thread = new Thread(this, name);
    }

    void start() throws IOException {
        selector.watchListener(listener.socket, listener);
        watching = true;
        thread.start();
    }

    String name() {
        return name;
    }

    Thread thread() {
        return thread;
    }

    SocketSelector selector() {
        return selector;
    }

    TimerHeap timers() {
        return timers;
    }

    byte[] scratch() {
        return scratch;
    }

    /** Whether this loop is stopping: connections close once idle. */
    boolean stopping() {
        return stopping;
    }

    /** Connections not closed nor lingering; -1 before this loop has begun to stop. Any thread. */
    int unfinished() {
        return unfinished;
    }

    /** Runs task on this loop's thread, at the end of its current or next turn. Any thread. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            now = System.nanoTime();
            while (!finished) {
                FaultInjection.at(FaultInjection.Point.LOOP);
                turn();
            }
        } catch (Error e) {
            context.fatal().accept("the event loop " + name, e);
        } catch (RuntimeException e) {
            // Its connections would never be served again: a server partly deaf.
            context.fatal().accept("the event loop " + name, Fatal.unexpected(e));
        } catch (IOException e) {
            context.fatal().accept("the event loop " + name, new InternalError("epoll failed: " + e, e));
        } finally {
            unwatch();
            if (!listenerLeft) {
                listenerLeft = true;
                listener.leave();
            }
            try {
                selector.close();
            } catch (IOException e) {
                LOG.debug("closing the selector: {}", e.getMessage());
            }
        }
    }

    private void turn() throws IOException {
        long wait = MAX_WAIT_MILLIS;
        if (!timers.isEmpty()) {
            wait = Math.min(wait, Math.max(0, (timers.earliest() - now + 999_999) / 1_000_000));
        }
        if (acceptPausedUntil != 0) {
            wait = Math.min(wait, Math.max(0, (acceptPausedUntil - now + 999_999) / 1_000_000));
        }
        if (!tasks.isEmpty()) {
            wait = 0;
        }
        selector.select(wait, collect);
        now = System.nanoTime(); // the one clock reading of this turn
        for (int i = 0; i < ready.size(); i++) {
            Object attachment = ready.get(i);
            if (attachment == listener) {
                acceptSome();
            } else {
                ((ServerConnection) attachment).ready(now);
            }
        }
        ready.clear();
        expireDeadlines();
        if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0) {
            acceptPausedUntil = 0;
            watchAgain();
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
        countUnfinished();
    }

    /** Runs out every deadline that passed by this turn's clock reading. */
    private void expireDeadlines() {
        for (int budget = timers.size(); budget > 0 && !timers.isEmpty() && timers.earliest() - now <= 0; budget--) {
            ServerConnection c = (ServerConnection) timers.first();
            timers.cancel(c);
            c.timedOut(now);
        }
    }

    /** Accepts what is queued, up to {@link #ACCEPTS_PER_TURN}; each new connection waits for its ClientHello. */
    private void acceptSome() throws IOException {
        for (int i = 0; i < ACCEPTS_PER_TURN && watching; i++) {
            if (!listener.takeSlot()) {
                pauseForSlot();
                return;
            }
            NativeSocket socket;
            try {
                socket = listener.socket.acceptNow();
            } catch (IOException e) {
                listener.releaseSlot();
                if (!stopping) {
                    LOG.warn("accept failed: {}", e.getMessage());
                    unwatch(); // EMFILE, say: leave the listener alone a little instead of spinning on it
                    acceptPausedUntil = now + ACCEPT_PAUSE_NANOS;
                }
                return;
            }
            if (socket == null) {
                listener.releaseSlot(); // another loop took it, or none was left
                return;
            }
            FaultInjection.at(FaultInjection.Point.ACCEPT);
            ServerConnection c = new ServerConnection(socket, context, this);
            connections.add(c);
            try {
                c.start(now);
            } catch (IOException e) {
                LOG.debug("a connection ended at once: {}", e.getMessage());
                c.closeNow();
            } catch (RuntimeException e) {
                c.failed(e);
            }
        }
    }

    /**
     * Every slot is held (--max-connections): this loop stops watching the listener, so
     * that new clients wait in the listen backlog (back-pressure) rather than being
     * accepted and refused; the next released slot brings it back.
     */
    private void pauseForSlot() {
        unwatch();
        listener.waitingForSlot.add(this);
        if (listener.held() < listener.maxConnections) { // released meanwhile: it may have missed us
            slotFreed();
        }
    }

    private void slotFreed() {
        if (acceptPausedUntil == 0) {
            watchAgain();
        }
    }

    private void unwatch() {
        if (watching) {
            selector.unwatchListener(listener.socket);
            watching = false;
        }
    }

    private void watchAgain() {
        if (!watching && !stopping) {
            try {
                selector.watchListener(listener.socket, listener);
                watching = true;
            } catch (IOException e) {
                throw new IllegalStateException("cannot watch the listener again: " + e.getMessage(), e);
            }
        }
    }

    /** Called by a connection once it has released its fd. */
    void closed(ServerConnection c) {
        if (connections.remove(c)) {
            listener.releaseSlot();
        }
    }

    private void countUnfinished() {
        if (!stopping) {
            return;
        }
        int n = 0;
        for (ServerConnection c : connections) {
            if (c.phase() != ServerConnection.Phase.LINGER) {
                n++;
            }
        }
        unfinished = n;
    }

    /**
     * Stop, first step (a task from {@link HttpsServer#stop}): no more accepting (the last
     * loop to leave closes the listener); connections waiting for a handshake or a request
     * close now, those in a response go on for the grace period and close after it.
     */
    void beginStop() {
        stopping = true;
        acceptPausedUntil = 0;
        if (watching) {
            unwatch();
        }
        listener.waitingForSlot.remove(this);
        if (!listenerLeft) { // off the listener, whose last watcher closes it
            listenerLeft = true;
            listener.leave();
        }
        for (ServerConnection c : new ArrayList<>(connections)) {
            c.stop(now);
        }
        countUnfinished();
    }

    /** Stop, last step: whatever is left (lingering, or past the grace period) is closed, and the loop ends. */
    void finish() {
        for (ServerConnection c : new ArrayList<>(connections)) {
            try {
                c.closeNow();
            } catch (RuntimeException e) {
                c.failed(e);
            }
        }
        finished = true;
    }

    /** Connections this loop holds now; its thread only (tests read it through a task). */
    int connectionCount() {
        return connections.size();
    }
}
