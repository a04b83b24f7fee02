package io.ktlshttps.net;

import io.ktlshttps.linux.LinuxErrno;
import io.ktlshttps.linux.Native;
import io.ktlshttps.linux.NativeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected TCP socket that owns its file descriptor. Its streams are unbuffered on
 * purpose: the TLS handshake must not read a byte past the client's Finished, so the
 * kernel gets whatever follows. Closing twice is safe.
 */
public final class NativeSocket implements java.io.Closeable {
    private final int fd;
    /** The peer's address when accept(2) gave it; null when not known yet (a socket we connected). */
    private volatile java.net.InetSocketAddress peer;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once shutdownOutput succeeded; the owner's thread only. */
    private boolean outputShut;
    /** Set once shutdownOutput found the socket not connected (ENOTCONN: reset by the peer); the owner's thread only. */
    private boolean notConnected;
    private final InputStream input = new SocketInput();
    private final OutputStream output = new SocketOutput();

    NativeSocket(int fd) {
        this.fd = fd;
    }

    NativeSocket(int fd, java.net.InetSocketAddress peer) {
        this.fd = fd;
        this.peer = peer;
    }

    /** Connects to an address and port. */
    public static NativeSocket connect(java.net.InetAddress address, int port) throws IOException {
        byte[] raw = address.getAddress();
        int fd = Native.tcpSocket(raw.length);
        try {
            Native.connect(fd, raw, port);
        } catch (NativeException e) {
            Native.close(fd);
            throw e;
        }
        return new NativeSocket(fd);
    }

    int fd() {
        return fd;
    }

    /** The peer's address; IPv4-mapped IPv6 addresses come back as IPv4. */
    public java.net.InetSocketAddress remoteAddress() throws IOException {
        java.net.InetSocketAddress known = peer;
        if (known == null) {
            known = Native.peerAddress(fd);
            peer = known;
        }
        return known;
    }

    /** Returns and clears the socket's pending error (getsockopt SO_ERROR); 0 if none. */
    int takePendingError() throws IOException {
        return Native.takePendingError(fd);
    }

    /** Shuts the read side: a thread blocked reading this socket sees end of stream. */
    public void shutdownInput() throws IOException {
        Native.shutdownInput(fd);
    }

    /**
     * From any thread: ends both directions, so that the owner's blocked read, write or
     * sendfile returns at once (end of stream, EPIPE), and the owner then closes. Only
     * the owner closes: a closed fd number may already belong to another connection or
     * file, and a thread still using it would read or write someone else's data. Does
     * nothing once closed, for that reason too.
     */
    public void shutdownNow() {
        synchronized (closed) {
            if (closed.get()) {
                return;
            }
            try {
                Native.shutdownBoth(fd);
            } catch (NativeException e) {
                // Not connected any more: nothing to wake.
            }
        }
    }

    /** Whether a read would not block within timeoutMillis (poll(2)); false when the time passed first. */
    public boolean readableWithin(int timeoutMillis) throws IOException {
        ensureOpen();
        return Native.readableWithin(fd, timeoutMillis);
    }

    /** Whether a write would not block within timeoutMillis (poll(2) POLLOUT; an error counts); false when the time passed. */
    public boolean writableWithin(int timeoutMillis) throws IOException {
        ensureOpen();
        return Native.writableWithin(fd, timeoutMillis);
    }

    /**
     * Reads what is there without waiting: the bytes read, 0 at end of stream, -1 if
     * nothing is there yet. For draining a closing socket, below any TLS.
     */
    public int readNow(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        return Native.readNow(fd, buffer, offset, length);
    }

    /**
     * Looks at what is there without waiting and without consuming it: the bytes seen, 0 at
     * end of stream, -1 if nothing is there yet.
     */
    public int peekNow(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        return Native.peekNow(fd, buffer, offset, length);
    }

    /**
     * From now on reads, writes and sendfile(2) on this socket return at once instead of
     * waiting (O_NONBLOCK): for an owner that waits for readiness instead.
     */
    public void setNonBlocking() throws IOException {
        ensureOpen();
        Native.setNonBlocking(fd);
    }

    /** Writes what the socket has room for now: the bytes taken, 0 when none. */
    public int writeNow(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        try {
            return Native.sendNow(fd, buffer, offset, length, 0);
        } catch (NativeException e) {
            throw translate(e);
        }
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Read and write timeout (SO_RCVTIMEO, SO_SNDTIMEO); 0 disables it. */
    public void setTimeout(long millis) throws IOException {
        Native.setTimeouts(fd, millis);
    }

    /** Read timeout only (SO_RCVTIMEO): how long a read waits for a byte; 0 for ever. */
    public void setReceiveTimeout(long millis) throws IOException {
        Native.setReceiveTimeout(fd, millis);
    }

    /** Write timeout only (SO_SNDTIMEO): how long a write may go without sending a byte; 0 for ever. */
    public void setSendTimeout(long millis) throws IOException {
        Native.setSendTimeout(fd, millis);
    }

    public void setNoDelay(boolean on) throws IOException {
        Native.setNoDelay(fd, on);
    }

    /** Acknowledges what was received at once (TCP_QUICKACK), not on the delayed-ACK timer. */
    public void acknowledgeNow() throws IOException {
        Native.acknowledgeNow(fd);
    }

    /** Reads up to length bytes; -1 at end of stream. */
    public int read(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        try {
            int n = Native.read(fd, buffer, offset, length);
            return n == 0 && length > 0 ? -1 : n;
        } catch (NativeException e) {
            throw translate(e);
        }
    }

    /**
     * Waits for bytes and copies up to length of them without consuming them
     * (recv(2) with MSG_PEEK); 0 at end of stream.
     */
    public int peek(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        try {
            return Native.peek(fd, buffer, offset, length);
        } catch (NativeException e) {
            throw translate(e);
        }
    }

    public void write(byte[] buffer, int offset, int length) throws IOException {
        ensureOpen();
        try {
            Native.sendFully(fd, buffer, offset, length, 0);
        } catch (NativeException e) {
            throw translate(e);
        }
    }

    /** Once closed, the fd number may belong to another connection: no more I/O on it. */
    private void ensureOpen() throws IOException {
        if (closed.get()) {
            throw new java.net.SocketException("socket closed");
        }
    }

    static IOException translate(NativeException e) {
        if (e.is(LinuxErrno.EAGAIN)) {
            SocketTimeoutException timeout = new SocketTimeoutException("socket timed out");
            timeout.initCause(e);
            return timeout;
        }
        return e;
    }

    public InputStream inputStream() {
        return input;
    }

    public OutputStream outputStream() {
        return output;
    }

    /**
     * Shuts the write side (a FIN after what was sent); once: a later call does nothing.
     * Where the peer reset the connection, it fails with ENOTCONN, and so does a later
     * call, without a system call.
     */
    public void shutdownOutput() throws IOException {
        if (outputShut) {
            return; // the kernel channel shuts it right after its close_notify, and the owner asks again
        }
        if (notConnected) {
            // The kernel channel shuts it right after its close_notify, the owner asks again:
            // the same answer, without asking the kernel again.
            throw new NativeException("shutdown", LinuxErrno.ENOTCONN.code());
        }
        try {
            Native.shutdownOutput(fd);
        } catch (NativeException e) {
            notConnected = e.is(LinuxErrno.ENOTCONN);
            throw e;
        }
        outputShut = true;
    }

    /**
     * Closes without losing what was just sent: shuts the write side (a FIN after the
     * last bytes), then reads and drops what the peer still sends, until it closes or for
     * up to the given time, before releasing the fd. Closing with unread input makes the
     * kernel answer with a reset, and a reset can destroy a response still in flight to
     * the peer (the "lingering close" of nginx and Apache). Bounded by time only, as
     * nginx's lingering_time: a byte cap would reset a client that simply sent more (an
     * upload the server refused with 413, say), and lose it the response.
     */
    public void drainAndClose(long millis) {
        if (closed.get()) {
            return;
        }
        try {
            Native.shutdownOutput(fd);
            long deadline = System.nanoTime() + millis * 1_000_000;
            byte[] sink = new byte[16384];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                Native.setReceiveTimeout(fd, left); // only reads from here: the write side is shut
                int n = Native.read(fd, sink, 0, sink.length);
                if (n <= 0) {
                    break;
                }
            }
        } catch (NativeException e) {
            // Reset, timeout, or EIO for a control record on a kernel TLS socket: done draining.
        }
        try {
            close();
        } catch (IOException e) {
            // The fd is released by close(2) even when it reports an error.
        }
    }

    /** Releases the fd; for its owner only (others use {@link #shutdownNow}). Safe to repeat. */
    @Override
    public void close() throws IOException {
        synchronized (closed) { // never while shutdownNow is between its check and its call
            if (closed.compareAndSet(false, true)) {
                Native.close(fd);
            }
        }
    }

    private final class SocketInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return NativeSocket.this.read(b, off, len);
        }
    }

    private final class SocketOutput extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            NativeSocket.this.write(b, off, len);
        }
    }
}
