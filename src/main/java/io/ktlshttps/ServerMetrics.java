package io.ktlshttps;

import java.util.concurrent.atomic.LongAdder;

/** Counters for /server-status. */
final class ServerMetrics {
    final LongAdder kernelConnections = new LongAdder();
    final LongAdder userSpaceConnections = new LongAdder();
    final LongAdder fallbacks = new LongAdder();
    final LongAdder handshakeFailures = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder bytesSendfile = new LongAdder();
    final LongAdder bytesKernelWrite = new LongAdder();
    final LongAdder bytesUserSpace = new LongAdder();
    final LongAdder activeConnections = new LongAdder();
}
