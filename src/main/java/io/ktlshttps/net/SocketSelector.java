package io.ktlshttps.net;

import io.ktlshttps.linux.Epoll;
import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Many sockets waiting to become readable, watched by one thread through epoll (see
 * {@link Epoll}: one-shot registrations; select and cancel from that thread only,
 * register and wakeup from any).
 */
public final class SocketSelector implements Closeable {
    private final Epoll epoll = new Epoll();

    public SocketSelector() throws IOException {
    }

    /**
     * Watches the socket until it is readable (or at end of stream, hung up, or failed),
     * once. Any thread: the attachment may reach select's callback before this returns.
     */
    public void register(NativeSocket socket, Object attachment) throws IOException {
        epoll.arm(socket.fd(), attachment);
    }

    /** As {@link #register}, for room to write (or a hang-up, or a failure), once. */
    public void registerForWrite(NativeSocket socket, Object attachment) throws IOException {
        epoll.arm(socket.fd(), attachment, true);
    }

    /** Stops watching a registered socket that has not fired; it may then be closed. The selecting thread only. */
    public void cancel(NativeSocket socket) {
        epoll.disarm(socket.fd());
    }

    /** Waits up to timeoutMillis (0: not at all); ready gets the attachment of each socket that became readable. */
    public int select(long timeoutMillis, Consumer<Object> ready) throws IOException {
        return epoll.select(timeoutMillis, ready);
    }

    public void wakeup() {
        epoll.wakeup();
    }

    @Override
    public void close() throws IOException {
        epoll.close();
    }
}
