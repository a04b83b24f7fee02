package io.ktlshttps.linux;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Waits for any of many fds to become readable: epoll(7), with one-shot registrations
 * (EPOLLONESHOT). An fd that fires is disabled until it is armed again, so a hang-up
 * reported while another thread serves the fd is not reported again and again.
 *
 * <p>Why our own binding: jnr-enxio's selector for native fds is poll(2) on Linux (it has
 * kqueue for the BSDs, nothing for epoll), and its cost per wake-up grows with every fd it
 * holds: 0.06 ms with 10 connections, 0.4 ms with 2,000, 5 ms with 9,000 (bench/java
 * SelectorCost, this machine); the JDK's Selector takes only the JDK's own channels.
 *
 * <p>{@link #select} and {@link #disarm} belong to one thread; any thread may {@link #arm}
 * (epoll_ctl beside a running epoll_wait is safe) and {@link #wakeup}. An fd's attachment
 * is kept until it fires or is disarmed.
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
    /** Each thread's struct epoll_event for epoll_ctl. */
    private static final ThreadLocal<ByteBuffer> EVENT =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(EVENT_SIZE).order(ByteOrder.nativeOrder()));
    private final Map<Integer, Object> attachments = new ConcurrentHashMap<>();
    private boolean closed;

    public Epoll() throws NativeException {
        this.epfd = Native.epollCreate();
        try {
            this.wakeFd = Native.eventFd();
            control(LinuxConstants.EPOLL_CTL_ADD, wakeFd, LinuxConstants.EPOLLIN);
        } catch (NativeException e) {
            Native.close(epfd);
            throw e;
        }
    }

    /**
     * Watches fd until it is readable, at end of stream, hung up or failed, once; the
     * attachment then goes to {@link #select}'s callback. An fd that fired before is
     * re-armed (EPOLL_CTL_MOD); a new one is added. Any thread; the caller must not touch
     * what the attachment stands for once this returns, as select may already have
     * handed it on.
     */
    public void arm(int fd, Object attachment) throws NativeException {
        arm(fd, attachment, false);
    }

    /** As {@link #arm(int, Object)}, for room to write when writable is true (EPOLLOUT), once. */
    public void arm(int fd, Object attachment, boolean writable) throws NativeException {
        int mask = writable ? WRITABLE : READABLE;
        attachments.put(fd, attachment); // first: the fd may fire before epoll_ctl returns
        int r = control(LinuxConstants.EPOLL_CTL_MOD, fd, mask);
        if (r == -LinuxErrno.ENOENT.code()) { // never added, or closed since (close removes it)
            r = control(LinuxConstants.EPOLL_CTL_ADD, fd, mask);
        }
        if (r < 0) {
            attachments.remove(fd);
            throw new NativeException("epoll_ctl", -r);
        }
    }

    /** Stops watching fd (before its owner closes it, or takes it back). */
    public void disarm(int fd) {
        attachments.remove(fd);
        control(LinuxConstants.EPOLL_CTL_DEL, fd, 0); // ENOENT or EBADF: not watched anyway
    }

    private int control(int op, int fd, int mask) {
        ByteBuffer event = EVENT.get();
        event.putInt(0, mask).putLong(DATA_OFFSET, fd);
        return Native.epollControl(epfd, op, fd, event);
    }

    /**
     * Waits up to timeoutMillis (0: not at all) for armed fds; calls ready with the
     * attachment of each that fired (it is then disarmed until armed again). Returns how
     * many fired.
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
            Object attachment = attachments.remove(fd);
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
        attachments.clear();
        try {
            Native.close(wakeFd);
        } finally {
            Native.close(epfd);
        }
    }
}
