package io.ktlshttps.linux;

/**
 * The errno values this project reacts to, with their Linux numbers.
 *
 * <p>Numbers from {@code include/uapi/asm-generic/errno-base.h} and
 * {@code include/uapi/asm-generic/errno.h}; they are the same on every Linux architecture
 * this project runs on (x86-64, arm64). Anything else maps to {@link #OTHER} and keeps its
 * number in {@link NativeException#code()}.
 */
public enum LinuxErrno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13),
    EFAULT(14), EEXIST(17), ENOTDIR(20), EISDIR(21), EINVAL(22), EMFILE(24), ENOSPC(28),
    EPIPE(32), ENOSYS(38), ENOPROTOOPT(92), EPROTONOSUPPORT(93), EOPNOTSUPP(95),
    EAFNOSUPPORT(97), EADDRINUSE(98), EADDRNOTAVAIL(99), ECONNABORTED(103), ECONNRESET(104), ENOTCONN(107), ETIMEDOUT(110),
    ECONNREFUSED(111), EBADMSG(74), EMSGSIZE(90), EKEYEXPIRED(127), OTHER(-1);

    private final int code;

    LinuxErrno(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static LinuxErrno of(int code) {
        for (LinuxErrno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return OTHER;
    }
}
