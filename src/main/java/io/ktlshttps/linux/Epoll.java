package io.ktlshttps.linux;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One event loop's readiness of many fds: epoll(7). Connections are watched one-shot
 * (EPOLLONESHOT): an fd that fires is disabled until it is armed again, so the loop hears
 * of each wait once. A listening socket several loops share is watched level-triggered
 * with EPOLLEXCLUSIVE ({@link #watchShared}): a new connection wakes one waiting loop, not
 * every loop.
 *
 * <p>Why our own binding: jnr-enxio's selector for native fds is poll(2) on Linux (it has
 * kqueue for the BSDs, nothing for epoll), and its cost per wake-up grows with every fd it
 * holds: 0.06 ms with 10 connections, 0.4 ms with 2,000, 5 ms with 9,000 (bench/java
 * SelectorCost, this machine); the JDK's Selector takes only the JDK's own channels.
 *
 * <p>Everything but {@link #wakeup} belongs to the one thread that selects (its event
 * loop): the attachments are a plain array indexed by fd, and whether an fd was added to
 * this epoll set is known without asking the kernel, so arming costs one epoll_ctl.
 */
public final class Epoll implements Closeable {
    /** struct epoll_event: u32 events, u64 data; packed on x86-64 (12 bytes), aligned elsewhere (16). */
    private static final boolean PACKED = System.getProperty("os.arch").matches("amd64|x86_64");
    private static final int EVENT_SIZE = PACKED ? 12 : 16;
    private static final int DATA_OFFSET = PACKED ? 4 : 8;
    private static final int MAX_EVENTS = 256;
    private static final int READABLE = LinuxConstants.EPOLLIN | LinuxConstants.EPOLLRDHUP | LinuxConstants.EPOLLONESHOT;
    /** Room to write (EPOLLHUP and EPOLLERR are always reported): a response waiting for the client's window. */
    private static final int WRITABLE = LinuxConstants.EPOLLOUT | LinuxConstants.EPOLLONESHOT;

    private final int epfd;
    private final int wakeFd;
    private final ByteBuffer events = ByteBuffer.allocateDirect(MAX_EVENTS * EVENT_SIZE).order(ByteOrder.nativeOrder());
    private final ByteBuffer event = ByteBuffer.allocateDirect(EVENT_SIZE).order(ByteOrder.nativeOrder());
    /** The attachment of each armed fd, by fd number; null when not armed. */
    private Object[] armed = new Object[1024];
    /** Whether each fd number was added to this epoll set and not closed or removed since. */
    private boolean[] added = new boolean[1024];
    /** Level-triggered fds shared with other epoll sets (a listener): their attachments stay. */
    private final Map<Integer, Object> shared = new HashMap<>();
    private boolean closed;

    public Epoll() throws NativeException {
        this.epfd = Native.epollCreate();
        try {
            this.wakeFd = Native.eventFd();
            check(control(LinuxConstants.EPOLL_CTL_ADD, wakeFd, LinuxConstants.EPOLLIN));
        } catch (NativeException e) {
            Native.close(epfd);
            throw e;
        }
    }

    /**
     * Watches fd until it is readable, at end of stream, hung up or failed, once; the
     * attachment then goes to {@link #select}'s callback.
     */
    public void arm(int fd, Object attachment) throws NativeException {
        arm(fd, attachment, false);
    }

    /** As {@link #arm(int, Object)}, for room to write when writable is true (EPOLLOUT), once. */
    public void arm(int fd, Object attachment, boolean writable) throws NativeException {
        int mask = writable ? WRITABLE : READABLE;
        if (fd >= armed.length) {
            int size = Math.max(fd + 1, armed.length * 2);
            armed = Arrays.copyOf(armed, size);
            added = Arrays.copyOf(added, size);
        }
        int r = control(added[fd] ? LinuxConstants.EPOLL_CTL_MOD : LinuxConstants.EPOLL_CTL_ADD, fd, mask);
        if (r == -LinuxErrno.ENOENT.code() || r == -LinuxErrno.EEXIST.code()) {
            // Not what we thought: closed behind our back (close removes it), or added before.
            r = control(r == -LinuxErrno.ENOENT.code() ? LinuxConstants.EPOLL_CTL_ADD : LinuxConstants.EPOLL_CTL_MOD,
                    fd, mask);
        }
        check(r);
        added[fd] = true;
        armed[fd] = attachment;
    }

    /**
     * Forgets fd before its owner closes it: close(2) removes it from the epoll set (a
     * socket's fd is never duplicated here), so this costs no system call.
     */
    public void forget(int fd) {
        if (fd < armed.length) {
            armed[fd] = null;
            added[fd] = false;
        }
    }

    /**
     * Drops fd's attachment without a system call: if it fires before it is armed again,
     * the event is ignored (and, one-shot, disables it); arming it again works as ever.
     */
    public void ignore(int fd) {
        if (fd < armed.length) {
            armed[fd] = null;
        }
    }

    /** Stops watching fd and keeps it open (EPOLL_CTL_DEL). */
    public void disarm(int fd) {
        forget(fd);
        control(LinuxConstants.EPOLL_CTL_DEL, fd, 0); // ENOENT or EBADF: not watched anyway
    }

    /**
     * Watches a listening socket that other epoll sets watch too, for as long as it is not
     * {@link #unwatchShared unwatched}: level-triggered EPOLLIN with EPOLLEXCLUSIVE, so a
     * queued connection wakes one of the threads waiting on these sets (Linux 4.5), and
     * the attachment goes to {@link #select}'s callback each time it is ready.
     */
    public void watchShared(int fd, Object attachment) throws NativeException {
        int r = control(LinuxConstants.EPOLL_CTL_ADD, fd, LinuxConstants.EPOLLIN | LinuxConstants.EPOLLEXCLUSIVE);
        if (r == -LinuxErrno.EINVAL.code()) {
            // A kernel before 4.5: every waiting loop is woken, and all but one find nothing to accept.
            r = control(LinuxConstants.EPOLL_CTL_ADD, fd, LinuxConstants.EPOLLIN);
        }
        check(r);
        shared.put(fd, attachment);
    }

    /** Stops watching a shared fd (it stays open for its other watchers). */
    public void unwatchShared(int fd) {
        if (shared.remove(fd) != null) {
            control(LinuxConstants.EPOLL_CTL_DEL, fd, 0);
        }
    }

    private int control(int op, int fd, int mask) {
        event.putInt(0, mask).putLong(DATA_OFFSET, fd);
        return Native.epollControl(epfd, op, fd, event);
    }

    private static void check(int r) throws NativeException {
        if (r < 0) {
            throw new NativeException("epoll_ctl", -r);
        }
    }

    /**
     * Waits up to timeoutMillis (0: not at all) for watched fds; calls ready with the
     * attachment of each that fired (a one-shot fd is then disarmed until armed again).
     * Returns how many fired.
     */
    public int select(long timeoutMillis, Consumer<Object> ready) throws NativeException {
        int n = Native.epollWait(epfd, events, MAX_EVENTS, (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeoutMillis)));
        int fired = 0;
        for (int i = 0; i < n; i++) {
            int fd = (int) events.getLong(i * EVENT_SIZE + DATA_OFFSET);
            if (fd == wakeFd) {
                Native.eventFdClear(wakeFd);
                continue;
            }
            Object attachment;
            if (fd < armed.length && armed[fd] != null) {
                attachment = armed[fd];
                armed[fd] = null;
            } else {
                attachment = shared.get(fd);
            }
            if (attachment != null) {
                fired++;
                ready.accept(attachment);
            }
        }
        return fired;
    }

    /** Makes a select in progress, or the next one, return at once. Any thread. */
    public void wakeup() {
        Native.eventFdSignal(wakeFd);
    }

    /** Releases epoll and its wake-up; the watched fds are left open (they belong to others). */
    @Override
    public void close() throws NativeException {
        if (closed) {
            return;
        }
        closed = true;
        Arrays.fill(armed, null);
        shared.clear();
        try {
            Native.close(wakeFd);
        } finally {
            Native.close(epfd);
        }
    }
}
