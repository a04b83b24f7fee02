package io.ktlshttps.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;

/**
 * Static wrappers over {@link LibC}: the only code that calls it. A failed call throws
 * {@link NativeException} with its errno; EINTR is retried.
 */
public final class Native {
    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    private static final int SOCKADDR_IN6_SIZE = LinuxConstants.SOCKADDR_IN6_SIZE;
    /** sizeof(struct timeval) on LP64, sys/time.h. */
    private static final int TIMEVAL_SIZE = 16;

    private Native() {
    }

    static Runtime runtime() {
        return RUNTIME;
    }

    private static int errno() {
        return RUNTIME.getLastError();
    }

    private static int check(String call, int result) throws NativeException {
        if (result < 0) {
            throw new NativeException(call, errno());
        }
        return result;
    }

    private static boolean interrupted(long result) {
        return result < 0 && errno() == LinuxErrno.EINTR.code();
    }

    /**
     * A new close-on-exec TCP socket for addresses of the given length: 4 bytes for IPv4,
     * 16 for IPv6. An IPv6 socket also accepts IPv4 (IPV6_V6ONLY off). Fails with
     * EAFNOSUPPORT on a kernel built without IPv6.
     */
    public static int tcpSocket(int addressLength) throws NativeException {
        boolean ipv6 = family(addressLength) == LinuxConstants.AF_INET6;
        int fd = check("socket", LIBC.socket(family(addressLength),
                LinuxConstants.SOCK_STREAM | LinuxConstants.SOCK_CLOEXEC, 0));
        if (ipv6) {
            try {
                setIntOption(fd, LinuxConstants.IPPROTO_IPV6, LinuxConstants.IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            } catch (NativeException e) {
                close(fd);
                throw e;
            }
        }
        return fd;
    }

    private static int family(int addressLength) {
        switch (addressLength) {
            case 4: return LinuxConstants.AF_INET;
            case 16: return LinuxConstants.AF_INET6;
            default: throw new IllegalArgumentException("an IP address is 4 or 16 bytes, not " + addressLength);
        }
    }

    public static void setReuseAddress(int fd) throws NativeException {
        setIntOption(fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_REUSEADDR, 1, "SO_REUSEADDR");
    }

    /** SO_REUSEPORT (Linux 3.9+): set before bind(2) by every socket that shares the port. */
    public static void setReusePort(int fd) throws NativeException {
        setIntOption(fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_REUSEPORT, 1, "SO_REUSEPORT");
    }

    public static void setNoDelay(int fd, boolean on) throws NativeException {
        setIntOption(fd, LinuxConstants.SOL_TCP, LinuxConstants.TCP_NODELAY, on ? 1 : 0, "TCP_NODELAY");
    }

    /**
     * TCP_QUICKACK: sends the acknowledgement of what was received now, if one is pending,
     * rather than on the delayed-ACK timer (which it also leaves for a while). The flag is
     * not sticky: the kernel may delay ACKs again later.
     */
    public static void acknowledgeNow(int fd) throws NativeException {
        setIntOption(fd, LinuxConstants.SOL_TCP, LinuxConstants.TCP_QUICKACK, 1, "TCP_QUICKACK");
    }

    /** SO_RCVTIMEO and SO_SNDTIMEO; 0 means no timeout. Timed-out calls fail with EAGAIN. */
    public static void setTimeouts(int fd, long millis) throws NativeException {
        setReceiveTimeout(fd, millis);
        setSendTimeout(fd, millis);
    }

    /** TCP_NODELAY as the socket has it now. */
    public static boolean noDelay(int fd) throws NativeException {
        ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
        check("getsockopt(TCP_NODELAY)", LIBC.getsockopt(fd, LinuxConstants.SOL_TCP, LinuxConstants.TCP_NODELAY, value,
                new IntByReference(4)));
        return value.getInt(0) != 0;
    }

    /** SO_RCVTIMEO (receive true) or SO_SNDTIMEO as the socket has it now, in milliseconds. */
    public static long timeoutMillis(int fd, boolean receive) throws NativeException {
        ByteBuffer tv = ByteBuffer.allocate(TIMEVAL_SIZE).order(ByteOrder.nativeOrder());
        check("getsockopt(SO_RCVTIMEO/SO_SNDTIMEO)", LIBC.getsockopt(fd, LinuxConstants.SOL_SOCKET,
                receive ? LinuxConstants.SO_RCVTIMEO : LinuxConstants.SO_SNDTIMEO, tv, new IntByReference(TIMEVAL_SIZE)));
        return tv.getLong(0) * 1000 + tv.getLong(8) / 1000;
    }

    /** SO_RCVTIMEO: how long a blocking read waits for a byte; 0 for ever. */
    public static void setReceiveTimeout(int fd, long millis) throws NativeException {
        check("setsockopt(SO_RCVTIMEO)", LIBC.setsockopt(fd, LinuxConstants.SOL_SOCKET,
                LinuxConstants.SO_RCVTIMEO, timeval(millis), TIMEVAL_SIZE));
    }

    /** SO_SNDTIMEO: how long a blocking send (or sendfile) waits without sending a byte; 0 for ever. */
    public static void setSendTimeout(int fd, long millis) throws NativeException {
        check("setsockopt(SO_SNDTIMEO)", LIBC.setsockopt(fd, LinuxConstants.SOL_SOCKET,
                LinuxConstants.SO_SNDTIMEO, timeval(millis), TIMEVAL_SIZE));
    }

    private static ByteBuffer timeval(long millis) {
        ByteBuffer tv = ByteBuffer.allocate(TIMEVAL_SIZE).order(ByteOrder.nativeOrder());
        return tv.putLong(millis / 1000).putLong((millis % 1000) * 1000).flip();
    }

    private static void setIntOption(int fd, int level, int name, int value, String label)
            throws NativeException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).flip();
        check("setsockopt(" + label + ")", LIBC.setsockopt(fd, level, name, b, 4));
    }

    /**
     * getsockopt(SO_ERROR): returns and clears the socket's pending error (0 if none).
     * After a kernel TLS receive error (EBADMSG) the error stays set and every send fails
     * with it until it is taken this way.
     */
    public static int takePendingError(int fd) throws NativeException {
        ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
        check("getsockopt(SO_ERROR)", LIBC.getsockopt(fd, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_ERROR, value,
                new IntByReference(4)));
        return value.getInt(0);
    }

    /** Binds to an address (4 bytes IPv4, 16 bytes IPv6; the socket's family) and port. */
    public static void bind(int fd, byte[] address, int port) throws NativeException {
        ByteBuffer sockaddr = sockaddr(address, port);
        check("bind", LIBC.bind(fd, sockaddr, sockaddr.remaining()));
    }

    public static void connect(int fd, byte[] address, int port) throws NativeException {
        while (true) {
            ByteBuffer sockaddr = sockaddr(address, port);
            int r = LIBC.connect(fd, sockaddr, sockaddr.remaining());
            if (!interrupted(r)) {
                check("connect", r);
                return;
            }
        }
    }

    public static void listen(int fd, int backlog) throws NativeException {
        check("listen", LIBC.listen(fd, backlog));
    }

    /** A connection from accept(2): its fd and the peer's address. */
    public record Accepted(int fd, java.net.InetSocketAddress peer) {
    }

    /** accept4 with SOCK_CLOEXEC: the new fd, and the peer's address that accept4 wrote (no getpeername). */
    public static Accepted accept(int fd) throws NativeException {
        while (true) {
            ByteBuffer address = ByteBuffer.allocate(SOCKADDR_IN6_SIZE);
            int r = LIBC.accept4(fd, address, new IntByReference(SOCKADDR_IN6_SIZE), LinuxConstants.SOCK_CLOEXEC);
            if (!interrupted(r)) {
                return new Accepted(check("accept4", r), socketAddress(address));
            }
        }
    }

    /**
     * accept4 with SOCK_CLOEXEC and SOCK_NONBLOCK, on a non-blocking listener: the next
     * connection, non-blocking from the start, or null when none is queued (EAGAIN).
     */
    public static Accepted acceptNow(int fd) throws NativeException {
        while (true) {
            ByteBuffer address = ByteBuffer.allocate(SOCKADDR_IN6_SIZE);
            int r = LIBC.accept4(fd, address, new IntByReference(SOCKADDR_IN6_SIZE),
                    LinuxConstants.SOCK_CLOEXEC | LinuxConstants.SOCK_NONBLOCK);
            if (interrupted(r)) {
                continue;
            }
            if (r < 0 && errno() == LinuxErrno.EAGAIN.code()) {
                return null;
            }
            return new Accepted(check("accept4", r), socketAddress(address));
        }
    }

    /** The local port of a bound socket. */
    public static int localPort(int fd) throws NativeException {
        ByteBuffer address = ByteBuffer.allocate(SOCKADDR_IN6_SIZE);
        check("getsockname", LIBC.getsockname(fd, address, new IntByReference(SOCKADDR_IN6_SIZE)));
        return Short.toUnsignedInt(address.order(ByteOrder.BIG_ENDIAN).getShort(2));
    }

    /**
     * struct sockaddr_in {u16 family (host order); u16 port (network order); u8 addr[4]; u8 zero[8];}
     * or struct sockaddr_in6 {u16 family; u16 port; u32 flowinfo; u8 addr[16]; u32 scope_id;}.
     */
    /** The peer's address and port (getpeername(2)), for logs and access control. */
    public static java.net.InetSocketAddress peerAddress(int fd) throws NativeException {
        ByteBuffer address = ByteBuffer.allocate(SOCKADDR_IN6_SIZE);
        check("getpeername", LIBC.getpeername(fd, address, new IntByReference(SOCKADDR_IN6_SIZE)));
        return socketAddress(address);
    }

    /** A sockaddr_in or sockaddr_in6 as the kernel wrote it; IPv4-mapped IPv6 addresses come back as IPv4. */
    private static java.net.InetSocketAddress socketAddress(ByteBuffer address) {
        int family = Short.toUnsignedInt(address.order(ByteOrder.nativeOrder()).getShort(0));
        int port = Short.toUnsignedInt(address.order(ByteOrder.BIG_ENDIAN).getShort(2));
        byte[] raw = family == LinuxConstants.AF_INET6 ? new byte[16] : new byte[4];
        address.position(family == LinuxConstants.AF_INET6 ? 8 : 4);
        address.get(raw);
        try {
            return new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(raw), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for a 4- or 16-byte address
        }
    }

    private static ByteBuffer sockaddr(byte[] address, int port) {
        int family = family(address.length);
        boolean ipv6 = family == LinuxConstants.AF_INET6;
        ByteBuffer b = ByteBuffer.allocate(ipv6 ? SOCKADDR_IN6_SIZE : LinuxConstants.SOCKADDR_IN_SIZE);
        b.order(ByteOrder.nativeOrder()).putShort((short) family);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) port);
        if (ipv6) {
            b.putInt(0).put(address).putInt(0);
        } else {
            b.put(address).putLong(0);
        }
        return b.flip();
    }

    /** read(2) into buffer[offset, offset+length); 0 at end of stream. */
    public static int read(int fd, byte[] buffer, int offset, int length) throws NativeException {
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length).slice();
        while (true) {
            long r = LIBC.read(fd, b, length);
            if (!interrupted(r)) {
                return (int) checkSize("read", r);
            }
        }
    }

    /** recv(2) with MSG_PEEK: looks at the first bytes without consuming them; 0 at end of stream. */
    public static int peek(int fd, byte[] buffer, int offset, int length) throws NativeException {
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length).slice();
        while (true) {
            long r = LIBC.recv(fd, b, length, LinuxConstants.MSG_PEEK);
            if (!interrupted(r)) {
                return (int) checkSize("recv(MSG_PEEK)", r);
            }
        }
    }

    /**
     * recv(2) with MSG_PEEK and MSG_DONTWAIT: a look at what is there now, without waiting
     * and without consuming it. Returns the bytes seen, 0 at end of stream, -1 if nothing is
     * there yet.
     */
    public static int peekNow(int fd, byte[] buffer, int offset, int length) throws NativeException {
        return recvNow(fd, buffer, offset, length, LinuxConstants.MSG_PEEK, "recv(MSG_PEEK | MSG_DONTWAIT)");
    }

    /**
     * recv(2) with MSG_DONTWAIT: what is there now, without waiting. Returns the bytes
     * read, 0 at end of stream, -1 if nothing is there yet.
     */
    public static int readNow(int fd, byte[] buffer, int offset, int length) throws NativeException {
        return recvNow(fd, buffer, offset, length, 0, "recv(MSG_DONTWAIT)");
    }

    /** recv(2) with MSG_DONTWAIT and flags: the bytes, 0 at end of stream, -1 for EAGAIN. */
    private static int recvNow(int fd, byte[] buffer, int offset, int length, int flags, String call)
            throws NativeException {
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length).slice();
        while (true) {
            long r = LIBC.recv(fd, b, length, flags | LinuxConstants.MSG_DONTWAIT);
            if (r < 0 && (errno() == LinuxErrno.EAGAIN.code())) {
                return -1;
            }
            if (!interrupted(r)) {
                return (int) checkSize(call, r);
            }
        }
    }

    /** Each thread's struct pollfd, direct so that jnr passes it without copying. */
    private static final ThreadLocal<ByteBuffer> POLLFD =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()));

    /**
     * poll(2) on one fd for up to timeoutMillis: true as soon as a read would not block
     * (data, end of stream, an error), false if the time passed first. A signal ends a
     * timed wait early (false), which the callers treat like a timeout.
     */
    public static boolean readableWithin(int fd, int timeoutMillis) throws NativeException {
        return ready(fd, LinuxConstants.POLLIN, timeoutMillis);
    }

    /** As {@link #readableWithin}, for a write: true as soon as the socket has room (or an error). */
    public static boolean writableWithin(int fd, int timeoutMillis) throws NativeException {
        return ready(fd, LinuxConstants.POLLOUT, timeoutMillis);
    }

    private static boolean ready(int fd, short events, int timeoutMillis) throws NativeException {
        ByteBuffer pollfd = POLLFD.get();
        pollfd.putInt(0, fd).putShort(4, events).putShort(6, (short) 0);
        int r;
        while (interrupted(r = LIBC.poll(pollfd, 1, timeoutMillis))) {
            if (timeoutMillis > 0) {
                return false;
            }
        }
        check("poll", r);
        return r > 0 && (pollfd.getShort(6) & (events | LinuxConstants.POLLERR | LinuxConstants.POLLHUP)) != 0;
    }

    /** epoll_create1(2), close-on-exec. */
    static int epollCreate() throws NativeException {
        return check("epoll_create1", LIBC.epoll_create1(LinuxConstants.EPOLL_CLOEXEC));
    }

    /** epoll_ctl(2); the event is a struct epoll_event in native layout (see {@link Epoll}). */
    static int epollControl(int epfd, int op, int fd, ByteBuffer event) {
        int r = LIBC.epoll_ctl(epfd, op, fd, event);
        return r < 0 ? -errno() : r;
    }

    /** epoll_wait(2) into a direct buffer of events; EINTR counts as no event. */
    static int epollWait(int epfd, ByteBuffer events, int maxEvents, int timeoutMillis) throws NativeException {
        int r = LIBC.epoll_wait(epfd, events, maxEvents, timeoutMillis);
        if (interrupted(r)) {
            return 0;
        }
        return check("epoll_wait", r);
    }

    /** eventfd(2), non-blocking and close-on-exec: the wake-up of a waiting epoll_wait. */
    static int eventFd() throws NativeException {
        return check("eventfd", LIBC.eventfd(0, LinuxConstants.EFD_CLOEXEC | LinuxConstants.EFD_NONBLOCK));
    }

    /** Adds one to an eventfd's counter (write(2) of a u64); a full counter (EAGAIN) is already awake. */
    static void eventFdSignal(int fd) {
        ByteBuffer one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
        LIBC.write(fd, one, 8);
    }

    /** Resets an eventfd's counter (read(2) of a u64); nothing to read is fine. */
    static void eventFdClear(int fd) {
        LIBC.read(fd, ByteBuffer.allocate(8), 8);
    }

    /** The soft limit on open file descriptors (getrlimit RLIMIT_NOFILE); Long.MAX_VALUE if unlimited. */
    public static long openFileLimit() throws NativeException {
        ByteBuffer limit = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()); // struct rlimit, two rlim_t
        check("getrlimit", LIBC.getrlimit(LinuxConstants.RLIMIT_NOFILE, limit));
        long soft = limit.getLong(0);
        return soft < 0 ? Long.MAX_VALUE : soft; // RLIM_INFINITY is all ones
    }

    /** One send(2) with MSG_NOSIGNAL and extra flags; returns the bytes taken (maybe fewer). */
    public static int send(int fd, byte[] buffer, int offset, int length, int flags) throws NativeException {
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length).slice();
        while (true) {
            long r = LIBC.send(fd, b, length, flags | LinuxConstants.MSG_NOSIGNAL);
            if (!interrupted(r)) {
                return (int) checkSize("send", r);
            }
        }
    }

    /**
     * One send(2) that does not wait (MSG_DONTWAIT): the bytes the socket took, 0 when it
     * had no room (EAGAIN).
     */
    public static int sendNow(int fd, byte[] buffer, int offset, int length, int flags) throws NativeException {
        ByteBuffer b = ByteBuffer.wrap(buffer, offset, length).slice();
        while (true) {
            long r = LIBC.send(fd, b, length, flags | LinuxConstants.MSG_DONTWAIT | LinuxConstants.MSG_NOSIGNAL);
            if (r < 0 && errno() == LinuxErrno.EAGAIN.code()) {
                return 0;
            }
            if (!interrupted(r)) {
                return (int) checkSize("send", r);
            }
        }
    }

    /**
     * Makes the socket's reads, writes and sendfile(2) return EAGAIN instead of waiting
     * (fcntl F_SETFL O_NONBLOCK; the other status flags of a socket are not ours to keep).
     */
    public static void setNonBlocking(int fd) throws NativeException {
        check("fcntl(F_SETFL, O_NONBLOCK)", LIBC.fcntl(fd, LinuxConstants.F_SETFL,
                LinuxConstants.O_RDWR | LinuxConstants.O_NONBLOCK));
    }

    /**
     * sendfile(2) on a non-blocking socket, until it has no room or count bytes are sent:
     * the bytes sent; 0 when it had no room at once; -1 when the file has no byte at
     * position (it ended).
     */
    public static long sendfileNow(int outFd, int inFd, long position, long count) throws NativeException {
        LongLongByReference offset = new LongLongByReference(position);
        long done = 0;
        while (done < count) {
            long r = LIBC.sendfile(outFd, inFd, offset, count - done);
            if (r < 0 && errno() == LinuxErrno.EAGAIN.code()) {
                return done;
            }
            if (interrupted(r)) {
                continue;
            }
            checkSize("sendfile", r);
            if (r == 0) {
                return done == 0 ? -1 : done; // end of file
            }
            done += r;
        }
        return done;
    }

    /** Sends all of buffer[offset, offset+length), looping over partial sends. */
    public static void sendFully(int fd, byte[] buffer, int offset, int length, int flags) throws NativeException {
        int done = 0;
        while (done < length) {
            done += send(fd, buffer, offset + done, length - done, flags);
        }
    }

    /**
     * sendfile(2) from inFd at position, looping over partial transfers until count bytes
     * are sent or the file ends. Returns the bytes sent.
     */
    public static long sendfile(int outFd, int inFd, long position, long count) throws NativeException {
        LongLongByReference offset = new LongLongByReference(position);
        long done = 0;
        while (done < count) {
            long r = LIBC.sendfile(outFd, inFd, offset, count - done);
            if (interrupted(r)) {
                continue;
            }
            checkSize("sendfile", r);
            if (r == 0) {
                break; // end of file
            }
            done += r;
        }
        return done;
    }

    static long sendmsg(int fd, Pointer message, int flags) throws NativeException {
        while (true) {
            long r = LIBC.sendmsg(fd, message, flags | LinuxConstants.MSG_NOSIGNAL);
            if (!interrupted(r)) {
                return checkSize("sendmsg", r);
            }
        }
    }

    static long recvmsg(int fd, Pointer message, int flags) throws NativeException {
        while (true) {
            long r = LIBC.recvmsg(fd, message, flags);
            if (!interrupted(r)) {
                return checkSize("recvmsg", r);
            }
        }
    }

    private static long checkSize(String call, long result) throws NativeException {
        if (result < 0) {
            throw new NativeException(call, errno());
        }
        return result;
    }

    /** Opens a file read-only, close-on-exec. */
    public static int openReadOnly(String path) throws NativeException {
        while (true) {
            int r = LIBC.open(path, LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC);
            if (!interrupted(r)) {
                return check("open", r);
            }
        }
    }

    /** Attaches the "tls" upper layer protocol (linux/tcp.h TCP_ULP). */
    public static void attachTlsUlp(int fd) throws NativeException {
        byte[] name = "tls".getBytes(StandardCharsets.US_ASCII);
        check("setsockopt(TCP_ULP, \"tls\")", LIBC.setsockopt(fd, LinuxConstants.SOL_TCP,
                LinuxConstants.TCP_ULP, ByteBuffer.wrap(name), name.length));
    }

    /** Installs transmit keys: setsockopt(SOL_TLS, TLS_TX). */
    public static void installTx(int fd, CryptoInfo info) throws NativeException {
        setCryptoInfo(fd, LinuxConstants.TLS_TX, "TLS_TX", info);
    }

    /**
     * Caps the plaintext of every record the kernel sends: setsockopt(SOL_TLS,
     * TLS_TX_MAX_PAYLOAD_LEN), a u16 (Linux 6.19+; ENOPROTOOPT before). Covers send and
     * sendfile alike.
     */
    public static void setTxMaxPayloadLength(int fd, int bytes) throws NativeException {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) bytes).flip();
        check("setsockopt(SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, " + bytes + ")",
                LIBC.setsockopt(fd, LinuxConstants.SOL_TLS, LinuxConstants.TLS_TX_MAX_PAYLOAD_LEN, b, 2));
    }

    /** The record plaintext cap in force, read back with getsockopt(SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN). */
    public static int txMaxPayloadLength(int fd) throws NativeException {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder());
        IntByReference length = new IntByReference(2);
        check("getsockopt(SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN)",
                LIBC.getsockopt(fd, LinuxConstants.SOL_TLS, LinuxConstants.TLS_TX_MAX_PAYLOAD_LEN, b, length));
        return b.getShort(0) & 0xffff;
    }

    /** Installs receive keys: setsockopt(SOL_TLS, TLS_RX). */
    public static void installRx(int fd, CryptoInfo info) throws NativeException {
        setCryptoInfo(fd, LinuxConstants.TLS_RX, "TLS_RX", info);
    }

    private static void setCryptoInfo(int fd, int option, String label, CryptoInfo info) throws NativeException {
        byte[] struct = info.encode();
        try {
            check("setsockopt(SOL_TLS, " + label + ", " + info.cipher() + ")", LIBC.setsockopt(fd,
                    LinuxConstants.SOL_TLS, option, ByteBuffer.wrap(struct), struct.length));
        } finally {
            java.util.Arrays.fill(struct, (byte) 0);
        }
    }

    /** Reads back the installed transmit state with getsockopt(SOL_TLS, TLS_TX). */
    public static CryptoInfo readTx(int fd, KernelCipher cipher) throws NativeException {
        return getCryptoInfo(fd, LinuxConstants.TLS_TX, "TLS_TX", cipher);
    }

    /** Reads back the installed receive state with getsockopt(SOL_TLS, TLS_RX). */
    public static CryptoInfo readRx(int fd, KernelCipher cipher) throws NativeException {
        return getCryptoInfo(fd, LinuxConstants.TLS_RX, "TLS_RX", cipher);
    }

    private static CryptoInfo getCryptoInfo(int fd, int option, String label, KernelCipher cipher)
            throws NativeException {
        ByteBuffer struct = ByteBuffer.allocate(cipher.structSize());
        IntByReference length = new IntByReference(cipher.structSize());
        check("getsockopt(SOL_TLS, " + label + ")",
                LIBC.getsockopt(fd, LinuxConstants.SOL_TLS, option, struct, length));
        return CryptoInfo.decode(struct.array());
    }

    /** shutdown(2) of the write side; errors on a dead socket are ignored by callers. */
    public static void shutdownOutput(int fd) throws NativeException {
        check("shutdown", LIBC.shutdown(fd, LinuxConstants.SHUT_WR));
    }

    /** shutdown(2) of the read side: a blocked reader sees end of stream. */
    public static void shutdownInput(int fd) throws NativeException {
        check("shutdown", LIBC.shutdown(fd, LinuxConstants.SHUT_RD));
    }

    /** shutdown(2) both ways: wakes a thread blocked in accept or read on this fd. */
    public static void shutdownBoth(int fd) throws NativeException {
        check("shutdown", LIBC.shutdown(fd, LinuxConstants.SHUT_RDWR));
    }

    /** close(2). Not retried on EINTR: on Linux the fd is released either way. */
    public static void close(int fd) throws NativeException {
        check("close", LIBC.close(fd));
    }
}
