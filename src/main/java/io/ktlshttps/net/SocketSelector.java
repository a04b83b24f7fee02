package io.ktlshttps.net;

import io.ktlshttps.linux.Epoll;
import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * One event loop's sockets waiting for readiness, through epoll (see {@link Epoll}):
 * connections one-shot (readable, or writable), the listener shared with the other loops
 * (EPOLLEXCLUSIVE). Everything but {@link #wakeup} from the loop's own thread.
 */
public final class SocketSelector implements Closeable {
    private final Epoll epoll = new Epoll();

    public SocketSelector() throws IOException {
    }

    /** Watches the socket until it is readable (or at end of stream, hung up, or failed), once. */
    public void register(NativeSocket socket, Object attachment) throws IOException {
        epoll.arm(socket.fd(), attachment);
    }

    /** As {@link #register}, for room to write (or a hang-up, or a failure), once. */
    public void registerForWrite(NativeSocket socket, Object attachment) throws IOException {
        epoll.arm(socket.fd(), attachment, true);
    }

    /** Stops watching a registered socket that has not fired, and keeps it open. */
    public void cancel(NativeSocket socket) {
        epoll.disarm(socket.fd());
    }

    /** Stops hearing of a socket that was armed, without a system call; arming it again works as ever. */
    public void ignore(NativeSocket socket) {
        epoll.ignore(socket.fd());
    }

    /** Forgets a socket its owner is about to close (close(2) takes it out of epoll; no system call). */
    public void forget(NativeSocket socket) {
        epoll.forget(socket.fd());
    }

    /**
     * Watches a listener that other loops watch too: ready (level-triggered) while
     * connections are queued, one waiting loop woken per event (EPOLLEXCLUSIVE).
     */
    public void watchListener(NativeServerSocket listener, Object attachment) throws IOException {
        epoll.watchShared(listener.fd(), attachment);
    }

    /** Stops watching the listener; it stays open. */
    public void unwatchListener(NativeServerSocket listener) {
        epoll.unwatchShared(listener.fd());
    }

    /** Waits up to timeoutMillis (0: not at all); ready gets the attachment of each socket that became ready. */
    public int select(long timeoutMillis, Consumer<Object> ready) throws IOException {
        return epoll.select(timeoutMillis, ready);
    }

    /** Makes a select in progress, or the next one, return at once. Any thread. */
    public void wakeup() {
        epoll.wakeup();
    }

    @Override
    public void close() throws IOException {
        epoll.close();
    }
}
