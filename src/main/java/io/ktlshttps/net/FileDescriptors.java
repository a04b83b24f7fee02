package io.ktlshttps.net;

import io.ktlshttps.linux.Native;
import java.io.IOException;

/** The process's budget of file descriptors. */
public final class FileDescriptors {
    private FileDescriptors() {
    }

    /** The soft RLIMIT_NOFILE: how many fds the process may have open; Long.MAX_VALUE if unlimited. */
    public static long limit() throws IOException {
        return Native.openFileLimit();
    }
}
