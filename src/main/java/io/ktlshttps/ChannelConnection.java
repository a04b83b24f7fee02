package io.ktlshttps;

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
    private long sent;

    ChannelConnection(TlsChannel channel, NativeSocket socket, ServerMetrics metrics) {
        this.channel = channel;
        this.socket = socket;
        this.metrics = metrics;
    }

    /** Each read waits at most until the deadline (SO_RCVTIMEO set to what is left), so a trickle cannot stretch it. */
    @Override
    public int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setTimeout(Math.max(1, left / 1_000_000));
        return channel.read(buffer, offset, length);
    }

    @Override
    public void write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        channel.write(buffer, offset, length, more);
        sent += length;
        (channel.kernelTx() ? metrics.bytesKernelWrite : metrics.bytesUserSpace).add(length);
    }

    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        long n = channel.transferFrom(file, position, count);
        sent += n;
        (channel.kernelTx() ? metrics.bytesSendfile : metrics.bytesUserSpace).add(n);
        return n;
    }

    /** Bytes written so far, for the access log. */
    long sent() {
        return sent;
    }
}
