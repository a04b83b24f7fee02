package io.ktlshttps;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters for /server-status. */
final class ServerMetrics {
    final LongAdder kernelConnections = new LongAdder();
    final LongAdder userSpaceConnections = new LongAdder();
    final LongAdder handshakeFailures = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder bytesSendfile = new LongAdder();
    final LongAdder bytesKernelWrite = new LongAdder();
    final LongAdder bytesUserSpace = new LongAdder();
    final LongAdder activeConnections = new LongAdder();
    /** TLS 1.3 TX rekeys because a key reached its record limit (counted when the connection ends). */
    final LongAdder proactiveRekeys = new LongAdder();
    /** Connections carried in user space although kernel TLS was allowed, by reason. */
    final Map<ConnectionTask.KernelRefusal, LongAdder> fallbacksByReason = counters();
    /** Connections closed with an alert under --ktls=required, by reason. */
    final Map<ConnectionTask.KernelRefusal, LongAdder> refusalsByReason = counters();

    private static Map<ConnectionTask.KernelRefusal, LongAdder> counters() {
        Map<ConnectionTask.KernelRefusal, LongAdder> m = new EnumMap<>(ConnectionTask.KernelRefusal.class);
        for (ConnectionTask.KernelRefusal r : ConnectionTask.KernelRefusal.values()) {
            m.put(r, new LongAdder());
        }
        return m;
    }

    /** Handshakes by what they negotiated: the proof a benchmark reads that every server did the same work. */
    record Negotiated(String version, String cipher, String group, boolean resumed) {
    }

    final java.util.concurrent.ConcurrentHashMap<Negotiated, LongAdder> negotiated =
            new java.util.concurrent.ConcurrentHashMap<>();

    void handshake(String version, String cipher, String group, boolean resumed) {
        negotiated.computeIfAbsent(new Negotiated(version, cipher, group, resumed), k -> new LongAdder()).increment();
    }

    /** Successful handshakes so far, full or resumed: a sum over {@link #negotiated}. */
    long handshakes(boolean resumed) {
        return negotiated.entrySet().stream().filter(e -> e.getKey().resumed() == resumed)
                .mapToLong(e -> e.getValue().sum()).sum();
    }

    void fellBack(ConnectionTask.KernelRefusal reason) {
        fallbacksByReason.get(reason).increment();
    }

    void refused(ConnectionTask.KernelRefusal reason) {
        refusalsByReason.get(reason).increment();
    }
}
