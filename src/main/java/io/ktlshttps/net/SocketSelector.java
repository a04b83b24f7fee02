package io.ktlshttps.net;

import io.ktlshttps.linux.Epoll;
import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Many sockets waiting to become readable, watched by one thread through epoll (see
 * {@link Epoll}: one-shot registrations; register, select and cancel from that thread
 * only, wakeup from any).
 */
public final class SocketSelector implements Closeable {
    private final Epoll epoll = new Epoll();

    public SocketSelector() throws IOException {
    }

    /** A socket waiting to become readable. */
    public final class Registration {
        private final int fd;

        private Registration(int fd) {
            this.fd = fd;
        }

        /** Stops watching; the socket may then be closed. */
        public void cancel() {
            epoll.disarm(fd);
        }
    }

    /** Watches the socket until it is readable (or at end of stream, hung up, or failed), once. */
    public Registration register(NativeSocket socket, Object attachment) throws IOException {
        epoll.arm(socket.fd(), attachment);
        return new Registration(socket.fd());
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
