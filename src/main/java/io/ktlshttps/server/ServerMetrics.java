package io.ktlshttps.server;

import io.ktlshttps.tls.ServerCredentials;
import io.ktlshttps.tls.ServingCredentials;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** Counters for /server-status (public for the tests that read them). */
public final class ServerMetrics {
    /** Who signs handshakes: "native" or "bouncycastle" (tls.NativeSignatures). */
    public final String signer;
    /** Who computes X25519: "native" or "bouncycastle" (tls.NativeKeyExchange). */
    public final String keyExchange;
    /** X25519 agreements made natively since start. */
    public final LongSupplier nativeX25519Agreements;

    /** The certificate new handshakes get (replaced on SIGHUP); null until the server has one. */
    private volatile ServingCredentials serving;

    public ServerMetrics(String signer, String keyExchange, LongSupplier nativeX25519Agreements) {
        this.signer = signer;
        this.keyExchange = keyExchange;
        this.nativeX25519Agreements = nativeX25519Agreements;
    }

    void serving(ServingCredentials credentials) {
        this.serving = credentials;
    }

    /** The credentials in service now, or null (a server not yet built). */
    ServerCredentials servingCredentials() {
        ServingCredentials s = serving;
        return s == null ? null : s.current();
    }

    public final LongAdder kernelConnections = new LongAdder();
    public final LongAdder userSpaceConnections = new LongAdder();
    public final LongAdder handshakeFailures = new LongAdder();
    public final LongAdder requests = new LongAdder();
    public final LongAdder bytesSendfile = new LongAdder();
    public final LongAdder bytesKernelWrite = new LongAdder();
    public final LongAdder bytesUserSpace = new LongAdder();
    public final LongAdder activeConnections = new LongAdder();
    /** Connections waiting for the client's bytes (a flight, a request, the rest of one, its FIN), armed in epoll. */
    public final LongAdder idleConnections = new LongAdder();
    /** Connections waiting for room in the client's window (a response in progress), armed in epoll. */
    public final LongAdder writeWaits = new LongAdder();
    /**
     * Whether some connection is in the middle of something: open, and not waiting for the
     * client's bytes (a handshake step, a response waiting for room, a close flushing). Read
     * across threads, so approximate.
     */
    public boolean busy() {
        return activeConnections.sum() > idleConnections.sum();
    }

    /** TLS 1.3 TX rekeys because a key reached its record limit (counted when the connection ends). */
    public final LongAdder proactiveRekeys = new LongAdder();
    /** Connections carried in user space although kernel TLS was allowed, by reason. */
    public final Map<KernelRefusal, LongAdder> fallbacksByReason = counters();
    /** Connections closed with an alert under --ktls=required, by reason. */
    public final Map<KernelRefusal, LongAdder> refusalsByReason = counters();
    /**
     * Connections whose handshake agreed a max_fragment_length, whose records the kernel
     * caps (TLS_TX_MAX_PAYLOAD_LEN, as read back from the kernel after the hand-off).
     */
    public final LongAdder recordLimitsInKernel = new LongAdder();
    /** Connections whose handshake agreed a max_fragment_length, carried in user space (capped there). */
    public final LongAdder recordLimitsInUserSpace = new LongAdder();
    /** Successful handshakes by the ALPN protocol agreed ("none": the client offered none). */
    public final java.util.concurrent.ConcurrentHashMap<String, LongAdder> alpnByProtocol =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static Map<KernelRefusal, LongAdder> counters() {
        Map<KernelRefusal, LongAdder> m = new EnumMap<>(KernelRefusal.class);
        for (KernelRefusal r : KernelRefusal.values()) {
            m.put(r, new LongAdder());
        }
        return m;
    }

    /** Handshakes by what they negotiated: the proof a benchmark reads that every server did the same work. */
    record Negotiated(String version, String cipher, String group, boolean resumed) {
    }

    public final java.util.concurrent.ConcurrentHashMap<Negotiated, LongAdder> negotiated =
            new java.util.concurrent.ConcurrentHashMap<>();

    void handshake(String version, String cipher, String group, boolean resumed) {
        negotiated.computeIfAbsent(new Negotiated(version, cipher, group, resumed), k -> new LongAdder()).increment();
    }

    /** Resumed handshakes by version and mechanism: keys "TLSv1.2 ticket", "TLSv1.2 session_id". */
    public final java.util.concurrent.ConcurrentHashMap<String, LongAdder> resumedBy =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Session tickets sent, by version. */
    public final java.util.concurrent.ConcurrentHashMap<String, LongAdder> ticketsIssued =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Tickets offered that could not be used (another key, too old, another suite, SNI or ALPN): full handshakes. */
    public final LongAdder ticketsRefused = new LongAdder();

    /** Counts how a handshake resumed (mechanism null: it did not), the tickets it sent, and a ticket it refused. */
    void resumption(String version, String mechanism, int tickets, boolean refused) {
        if (mechanism != null) {
            resumedBy.computeIfAbsent(version + " " + mechanism, k -> new LongAdder()).increment();
        }
        if (tickets > 0) {
            ticketsIssued.computeIfAbsent(version, k -> new LongAdder()).add(tickets);
        }
        if (refused) {
            ticketsRefused.increment();
        }
    }

    /** Resumed handshakes of this version ("TLSv1.2") by this mechanism ("ticket", "session_id"). */
    public long resumed(String version, String mechanism) {
        LongAdder n = resumedBy.get(version + " " + mechanism);
        return n == null ? 0 : n.sum();
    }

    /** Tickets sent for this version. */
    public long ticketsIssued(String version) {
        LongAdder n = ticketsIssued.get(version);
        return n == null ? 0 : n.sum();
    }

    /** Counts a handshake's ALPN protocol: one we offer (a bounded set), or null for none. */
    void agreedAlpn(String protocol) {
        alpnByProtocol.computeIfAbsent(protocol == null ? "none" : protocol, k -> new LongAdder()).increment();
    }

    /** Handshakes that agreed this ALPN protocol ("none": no ALPN) so far. */
    public long alpnHandshakes(String protocol) {
        LongAdder n = alpnByProtocol.get(protocol);
        return n == null ? 0 : n.sum();
    }

    /** Successful handshakes so far, full or resumed: a sum over {@link #negotiated}. */
    public long handshakes(boolean resumed) {
        return negotiated.entrySet().stream().filter(e -> e.getKey().resumed() == resumed)
                .mapToLong(e -> e.getValue().sum()).sum();
    }

    /** A count that grows with every handshake (failed ones too) and every request: "has the server worked". */
    public long work() {
        return kernelConnections.sum() + userSpaceConnections.sum() + handshakeFailures.sum() + requests.sum();
    }

    void fellBack(KernelRefusal reason) {
        fallbacksByReason.get(reason).increment();
    }

    void refused(KernelRefusal reason) {
        refusalsByReason.get(reason).increment();
    }
}
