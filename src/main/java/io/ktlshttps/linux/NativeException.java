package io.ktlshttps.linux;

import java.io.IOException;

/** A failed libc call: the call's name and the errno it set. */
public final class NativeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public NativeException(String call, int code) {
        super(call + ": " + name(code) + " (" + describe(code) + ")");
        this.code = code;
    }

    /** The raw errno number. */
    public int code() {
        return code;
    }

    public LinuxErrno errno() {
        return LinuxErrno.of(code);
    }

    /** The errno's symbolic name, e.g. {@code EBADMSG}, or {@code errno 123}. */
    public String errnoName() {
        return name(code);
    }

    /** What the errno means, in a few words, e.g. {@code address already in use}. */
    public String reason() {
        return describe(code);
    }

    public boolean is(LinuxErrno errno) {
        return errno.code() == code;
    }

    private static String name(int code) {
        LinuxErrno e = LinuxErrno.of(code);
        return e == LinuxErrno.OTHER ? "errno " + code : e.name();
    }

    private static String describe(int code) {
        switch (LinuxErrno.of(code)) {
            case ENOENT: return "no such file, or no such kernel module";
            case EBADMSG: return "record authentication failed";
            case EMSGSIZE: return "record too large";
            case EIO: return "non-data record read without a control message buffer";
            case EKEYEXPIRED: return "key update received, new key not yet installed";
            case EAGAIN: return "timed out or would block";
            case ECONNRESET: return "connection reset by peer";
            case EPIPE: return "broken pipe";
            case ENOTCONN: return "socket not connected";
            case EEXIST: return "already set";
            case ENOPROTOOPT: return "protocol option not supported";
            case EINVAL: return "invalid argument";
            case EACCES: return "permission denied";
            case EADDRINUSE: return "address already in use";
            case EADDRNOTAVAIL: return "this host has no such address";
            default: return "see errno(3)";
        }
    }
}
