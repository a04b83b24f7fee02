package io.ktlshttps.server;

import io.ktlshttps.http.Connection;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.TlsChannel;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;

/** HTTP's view of a TLS channel: reads bounded by a deadline, byte counts for /server-status. */
final class ChannelConnection implements Connection {
    private final TlsChannel channel;
    private final NativeSocket socket;
    private final ServerMetrics metrics;
    private final boolean sendfile;
    /** How far a read may block past its deadline before the socket timeout is reset. */
    private static final long TIMEOUT_SLACK_MILLIS = 250;
    /** The receive timeout last set on the socket, 0 if unknown. */
    private long timeoutMillis;
    /** See {@link #clockReadMomentsAgo}. */
    private long recentNanos;
    private boolean recent;

    /**
     * Whether the kernel encrypts, by the channel's kind: a KernelTlsChannel exists only
     * once TLS_TX and TLS_RX were installed. (Its kernelTx() asks the kernel with a
     * getsockopt, which every connection would pay here for nothing.)
     */
    private final boolean kernelTx;

    private final java.util.function.BooleanSupplier stopping;

    ChannelConnection(TlsChannel channel, NativeSocket socket, ServerMetrics metrics, boolean sendfile,
            java.util.function.BooleanSupplier stopping) {
        this.stopping = stopping;
        this.channel = channel;
        this.socket = socket;
        this.metrics = metrics;
        this.sendfile = sendfile;
        this.kernelTx = channel instanceof io.ktlshttps.net.KernelTlsChannel;
    }

    /** The server is stopping, or the transmit key reached its record limit and cannot be renewed. */
    @Override
    public boolean closeAfterResponse() {
        return stopping.getAsBoolean() || channel.keyExhausted();
    }

    @Override
    public boolean hasBufferedInput() {
        return channel.hasBufferedInput();
    }

    /**
     * Each read waits at most until the deadline, so a trickle cannot stretch it. The
     * socket's receive timeout (SO_RCVTIMEO) is only changed when it would end the read
     * before the deadline, or overshoot it by more than {@link #TIMEOUT_SLACK_MILLIS};
     * it is set half the slack past the deadline, so the next request's deadline (the
     * same idle timeout from a moment later) still fits: a keep-alive request costs no
     * setsockopt. Never waking early matters, because a timeout in the middle of a
     * user-space record would lose the bytes read so far. The send timeout is another
     * matter, set once ({@link ServerConnection}).
     */
    /**
     * The caller read {@link System#nanoTime} moments ago (a brief wait, 40 ms at most, well
     * inside {@link #TIMEOUT_SLACK_MILLIS}), and the next read may use that instead of
     * reading the clock again: the one clock reading fewer per keep-alive request, where a
     * clock reading is a system call (User-Mode Linux, some VMs).
     */
    void clockReadMomentsAgo(long nanos) {
        recentNanos = nanos;
        recent = true;
    }

    @Override
    public int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException {
        while (true) {
            long now = recent ? recentNanos : System.nanoTime();
            recent = false;
            long left = (deadlineNanos - now) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            if (timeoutMillis < left || timeoutMillis > left + TIMEOUT_SLACK_MILLIS) {
                timeoutMillis = left + TIMEOUT_SLACK_MILLIS / 2;
                socket.setReceiveTimeout(timeoutMillis);
            }
            try {
                return channel.readIfReady(buffer, offset, length);
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() - deadlineNanos >= 0) {
                    throw e;
                }
                timeoutMillis = 0; // woke a millisecond early (rounding): set it afresh
            }
        }
    }

    /** Blocking: takes all the bytes. */
    @Override
    public int write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        channel.write(buffer, offset, length, more);
        (kernelTx ? metrics.bytesKernelWrite : metrics.bytesUserSpace).add(length);
        return length;
    }

    /** Blocking: sends all of it, or up to where the file ends; -1 when it ends before position. */
    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        if (!sendfile && kernelTx) {
            long done = copyThroughHeap(file, position, count);
            return done == 0 && count > 0 ? -1 : done;
        }
        long n = channel.transferFrom(file, position, count);
        (kernelTx ? metrics.bytesSendfile : metrics.bytesUserSpace).add(n);
        return n == 0 && count > 0 ? -1 : n;
    }

    /** --sendfile=off: the file is read into the JVM and written through kernel TX, 64 KiB at a time. */
    private long copyThroughHeap(Path file, long position, long count) throws IOException {
        byte[] chunk = new byte[65536];
        long done = 0;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            in.skipNBytes(position);
            while (done < count) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, count - done));
                if (n < 0) {
                    break;
                }
                write(chunk, 0, n, false);
                done += n;
            }
        }
        return done;
    }

}
