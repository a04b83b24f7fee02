package io.ktlshttps.server;

import io.ktlshttps.http.Connection;
import io.ktlshttps.net.TlsChannel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * HTTP's view of a TLS channel, without waiting: a read that finds nothing returns 0, a
 * write or a transfer takes what the client's window has room for (0: none), and the
 * owner ({@link ServerConnection}) waits for readiness in the poller, with no thread.
 * Byte counts go to /server-status.
 */
final class ChannelConnection implements Connection {
    private final TlsChannel channel;
    private final ServerMetrics metrics;
    private final boolean sendfile;

    /**
     * Whether the kernel encrypts, by the channel's kind: a KernelTlsChannel exists only
     * once TLS_TX and TLS_RX were installed. (Its kernelTx() asks the kernel with a
     * getsockopt, which every connection would pay here for nothing.)
     */
    private final boolean kernelTx;

    private final java.util.function.BooleanSupplier stopping;

    ChannelConnection(TlsChannel channel, ServerMetrics metrics, boolean sendfile,
            java.util.function.BooleanSupplier stopping) {
        this.stopping = stopping;
        this.channel = channel;
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

    /** Non-blocking: the deadline is the owner's, kept in the poller. */
    @Override
    public int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException {
        return channel.readNow(buffer, offset, length);
    }

    @Override
    public int write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        int n = channel.writeNow(buffer, offset, length, more);
        (kernelTx ? metrics.bytesKernelWrite : metrics.bytesUserSpace).add(n);
        return n;
    }

    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        if (!sendfile && kernelTx) {
            return copyThroughHeap(file, position, count);
        }
        long n = channel.transferNow(file, position, count);
        if (n > 0) {
            (kernelTx ? metrics.bytesSendfile : metrics.bytesUserSpace).add(n);
        }
        return n;
    }

    /**
     * --sendfile=off: the file is read into the JVM and written through kernel TX, 64 KiB at
     * a time; what the socket did not take is read again on the next call.
     */
    private long copyThroughHeap(Path file, long position, long count) throws IOException {
        byte[] chunk = new byte[(int) Math.min(65536, count)];
        int n;
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ)) {
            n = in.read(java.nio.ByteBuffer.wrap(chunk), position);
        }
        if (n <= 0) {
            return -1;
        }
        return write(chunk, 0, n, false);
    }
}
