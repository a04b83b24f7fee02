package io.ktlshttps.linux;

/** Numeric ABI constants, each from the header that defines it. */
public final class LinuxConstants {
    private LinuxConstants() {
    }

    // bits/socket.h, bits/socket_type.h, netinet/in.h
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** sizeof(struct sockaddr_in), netinet/in.h. */
    static final int SOCKADDR_IN_SIZE = 16;
    /** sizeof(struct sockaddr_in6), netinet/in.h. */
    static final int SOCKADDR_IN6_SIZE = 28;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    /** accept4(2): the accepted socket starts non-blocking (O_NONBLOCK), no fcntl needed. */
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    /** asm-generic/socket.h: several sockets of one user bind one port; the kernel spreads connections. */
    static final int SO_REUSEPORT = 15;
    /** asm-generic/socket.h: read and clear the socket's pending error. */
    static final int SO_ERROR = 4;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    /** bits/socket.h: more data follows, so the kernel may coalesce this write with the next. */
    public static final int MSG_MORE = 0x8000;
    static final int MSG_NOSIGNAL = 0x4000;
    /** bits/socket.h: look at queued data without consuming it. */
    static final int MSG_PEEK = 0x2;
    /** sys/socket.h: this call only, as if the fd were O_NONBLOCK. */
    static final int MSG_DONTWAIT = 0x40;
    /** poll.h: readable, error, hang-up (the last two are reported whether asked or not). */
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    /** sys/epoll.h (epoll_create1(2), epoll_ctl(2)); sys/eventfd.h. */
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x1;
    static final int EPOLLOUT = 0x4;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLONESHOT = 1 << 30;
    /** Linux 4.5: of the epoll sets that watch one fd with this flag, an event wakes one waiter, not all. */
    static final int EPOLLEXCLUSIVE = 1 << 28;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    /** sys/resource.h: the limit on open file descriptors. */
    static final int RLIMIT_NOFILE = 7;
    /** bits/socket.h: control data was truncated (the cmsg buffer was too small). */
    static final int MSG_CTRUNC = 0x8;
    static final int SHUT_RD = 0;
    static final int SHUT_WR = 1;
    static final int SHUT_RDWR = 2;

    // fcntl.h
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    /** asm-generic/fcntl.h (x86-64, arm64): reads and writes return EAGAIN instead of waiting. */
    static final int O_NONBLOCK = 0x800;
    static final int F_SETFL = 4;
    static final int O_CLOEXEC = 0x80000;

    // linux/tcp.h
    static final int SOL_TCP = 6;
    /** linux/tcp.h: attach an upper layer protocol ("tls") to a TCP socket. */
    static final int TCP_ULP = 31;
    static final int TCP_NODELAY = 1;
    /** linux/tcp.h: acknowledge at once what is pending, instead of on the delayed-ACK timer. */
    static final int TCP_QUICKACK = 12;

    // linux/socket.h
    static final int SOL_TLS = 282;

    // linux/tls.h: socket options at SOL_TLS
    static final int TLS_TX = 1;
    static final int TLS_RX = 2;
    /**
     * linux/tls.h (Linux 6.19+): the largest plaintext per transmitted record, a u16 in
     * 64..16384, excluding TLS 1.3's content-type byte; older kernels say ENOPROTOOPT.
     */
    static final int TLS_TX_MAX_PAYLOAD_LEN = 5;

    // linux/tls.h: cmsg types at SOL_TLS
    static final int TLS_SET_RECORD_TYPE = 1;
    static final int TLS_GET_RECORD_TYPE = 2;

    // linux/tls.h: tls_crypto_info.version
    public static final int TLS_1_2_VERSION = 0x0303;
    public static final int TLS_1_3_VERSION = 0x0304;
}
