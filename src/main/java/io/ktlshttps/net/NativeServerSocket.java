package io.ktlshttps.net;

import io.ktlshttps.linux.LinuxErrno;
import io.ktlshttps.linux.Native;
import io.ktlshttps.linux.NativeException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicBoolean;

/** A listening TCP socket (dual-stack IPv6) that owns its file descriptor. */
public final class NativeServerSocket implements java.io.Closeable {
    private final int fd;
    /** Set by {@link #stopAccepting}: an EAGAIN from accept(2) is then the end, not a timeout. */
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();

    private NativeServerSocket(int fd) {
        this.fd = fd;
    }

    /**
     * Binds and listens. A null address means all interfaces: IPv6 and IPv4 on one
     * dual-stack socket, or IPv4 alone on a kernel without IPv6. Port 0 picks a free port.
     */
    public static NativeServerSocket bind(InetAddress address, int port, int backlog) throws IOException {
        if (address != null) {
            return bind(address.getAddress(), port, backlog);
        }
        try {
            return bind(new byte[16], port, backlog);
        } catch (NativeException e) {
            if (!e.is(LinuxErrno.EAFNOSUPPORT)) {
                throw e;
            }
            return bind(new byte[4], port, backlog);
        }
    }

    /**
     * @throws BindException when bind(2) fails, with a message that names the address and
     *         port and the reason, for the operator (the port held by another program, an
     *         address this host does not have, a privileged port); its cause carries the errno
     */
    private static NativeServerSocket bind(byte[] address, int port, int backlog) throws IOException {
        int fd = Native.tcpSocket(address.length);
        try {
            Native.setReuseAddress(fd);
            // Graceful restart: a new server binds the port while the old one, after SIGTERM,
            // still finishes its requests (README, Deploying). The kernel lets only sockets of
            // the same effective user share a port, each with this option set, so another
            // user's program cannot take our connections, and a program without it still gets
            // EADDRINUSE. Two of ours on one port at once share its connections.
            Native.setReusePort(fd);
            try {
                Native.bind(fd, address, port);
            } catch (NativeException e) {
                throw bindFailure(address, port, e);
            }
            Native.listen(fd, backlog);
        } catch (IOException e) {
            Native.close(fd);
            throw e;
        }
        return new NativeServerSocket(fd);
    }

    /** As nginx says it: {@code bind() to 0.0.0.0:443 failed (98: Address already in use)}. */
    static BindException bindFailure(byte[] address, int port, NativeException e) {
        String where = (isAny(address) ? "*" : hostAddress(address)) + ":" + port;
        String hint = e.is(LinuxErrno.EACCES) && port < 1024
                ? "; ports below 1024 need root or CAP_NET_BIND_SERVICE" : "";
        BindException failure = new BindException("bind() to " + where + " failed (" + e.code() + ": "
                + e.errnoName() + ", " + e.reason() + hint + ")");
        failure.initCause(e);
        return failure;
    }

    private static boolean isAny(byte[] address) {
        for (byte b : address) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String hostAddress(byte[] address) {
        try {
            String text = InetAddress.getByAddress(address).getHostAddress();
            return address.length == 16 ? "[" + text + "]" : text;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an address of " + address.length + " bytes", e);
        }
    }

    public int localPort() throws IOException {
        return Native.localPort(fd);
    }

    /**
     * Blocks for the next connection; fails once {@link #close()} has been called. A
     * receive timeout set by {@link #setAcceptedDefaults} bounds accept(2) too (EAGAIN when
     * none came): then it simply waits again.
     */
    public NativeSocket accept() throws IOException {
        while (true) {
            Native.Accepted accepted;
            try {
                accepted = Native.accept(fd);
            } catch (NativeException e) {
                if (e.is(LinuxErrno.EAGAIN) && !closed.get()) {
                    continue; // the listener's SO_RCVTIMEO passed with no connection
                }
                throw e;
            }
            return new NativeSocket(accepted.fd(), accepted.peer());
        }
    }

    int fd() {
        return fd;
    }

    /**
     * For event loops: accept(2) returns at once (O_NONBLOCK on the listener), and every
     * accepted socket starts non-blocking ({@link #acceptNow}).
     */
    public void setNonBlocking() throws IOException {
        Native.setNonBlocking(fd);
    }

    /**
     * The next queued connection, non-blocking (accept4 with SOCK_NONBLOCK), or null when
     * none is queued; on a {@link #setNonBlocking non-blocking} listener. One reset while
     * queued (ECONNABORTED) is skipped; what else fails (EMFILE, ENFILE, ENOBUFS) is thrown.
     */
    public NativeSocket acceptNow() throws IOException {
        while (true) {
            Native.Accepted accepted;
            try {
                accepted = Native.acceptNow(fd);
            } catch (NativeException e) {
                if (e.is(LinuxErrno.ECONNABORTED)) {
                    continue; // reset by its client while queued: the next one, as nginx does
                }
                throw e;
            }
            return accepted == null ? null : new NativeSocket(accepted.fd(), accepted.peer());
        }
    }

    /**
     * Options every accepted connection starts with: Linux makes an accepted socket as a
     * copy of its listener, TCP_NODELAY and the timeouts included (NativeServerSocketTest
     * checks it). Set here once, they cost no system call per connection. The receive
     * timeout also bounds the listener's own accept(2), which {@link #accept} retries.
     */
    public void setAcceptedDefaults(boolean noDelay, long receiveTimeoutMillis, long sendTimeoutMillis)
            throws IOException {
        Native.setNoDelay(fd, noDelay);
        Native.setReceiveTimeout(fd, receiveTimeoutMillis);
        Native.setSendTimeout(fd, sendTimeoutMillis);
    }

    /**
     * From any thread: stops accepting, and wakes a thread blocked in {@link #accept} (its
     * accept(2) fails with EINVAL once the socket is shut down). The fd stays open for the
     * accepting thread to {@link #close}: closed under it, the number could already belong
     * to another socket when its accept(2) runs again. Safe to repeat.
     */
    public void stopAccepting() {
        if (closed.compareAndSet(false, true)) {
            try {
                Native.shutdownBoth(fd);
            } catch (NativeException ignored) {
                // A listening socket may refuse shutdown; its owner closes it anyway.
            }
        }
    }

    /** Stops accepting and releases the fd: the accepting thread's call (or any, once none accepts). Safe to repeat. */
    @Override
    public void close() throws IOException {
        stopAccepting();
        if (released.compareAndSet(false, true)) {
            Native.close(fd);
        }
    }
}
