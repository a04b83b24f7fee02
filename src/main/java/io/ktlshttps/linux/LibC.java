package io.ktlshttps.linux;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls this project makes. Only {@link Native} calls it. See the man pages
 * socket(2), setsockopt(2), sendmsg(2), recvmsg(2), sendfile(2).
 *
 * <p>Public only because jnr-ffi defines the implementation in its own class loader,
 * which cannot see a package-private interface; nothing outside this package uses it.
 */
public interface LibC {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int setsockopt(int fd, int level, int name, @In ByteBuffer value, int length);

    @SaveError
    int getsockopt(int fd, int level, int name, @Out ByteBuffer value, IntByReference length);

    @SaveError
    int bind(int fd, @In ByteBuffer address, int length);

    @SaveError
    int listen(int fd, int backlog);

    @SaveError
    int accept4(int fd, @Out ByteBuffer address, IntByReference length, int flags);

    @SaveError
    int connect(int fd, @In ByteBuffer address, int length);

    @SaveError
    int getsockname(int fd, @Out ByteBuffer address, IntByReference length);

    @SaveError
    int getpeername(int fd, @Out ByteBuffer address, IntByReference length);

    @SaveError
    @ssize_t
    long read(int fd, @Out ByteBuffer buffer, @size_t long count);

    @SaveError
    @ssize_t
    long recv(int fd, @Out ByteBuffer buffer, @size_t long count, int flags);

    @SaveError
    @ssize_t
    long send(int fd, @In ByteBuffer buffer, @size_t long count, int flags);

    @SaveError
    @ssize_t
    long sendmsg(int fd, Pointer message, int flags);

    @SaveError
    @ssize_t
    long recvmsg(int fd, Pointer message, int flags);

    @SaveError
    @ssize_t
    long sendfile(int outFd, int inFd, LongLongByReference offset, @size_t long count);

    @SaveError
    int open(String path, int flags);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    @SaveError
    int close(int fd);

    @SaveError
    int shutdown(int fd, int how);

    @SaveError
    int poll(@In @Out ByteBuffer fds, long count, int timeoutMillis);

    @SaveError
    int getrlimit(int resource, @Out ByteBuffer limit);

    @SaveError
    int epoll_create1(int flags);

    @SaveError
    int epoll_ctl(int epfd, int op, int fd, @In ByteBuffer event);

    @SaveError
    int epoll_wait(int epfd, @Out ByteBuffer events, int maxEvents, int timeoutMillis);

    @SaveError
    int eventfd(int initialValue, int flags);

    @SaveError
    @ssize_t
    long write(int fd, @In ByteBuffer buffer, @size_t long count);
}
