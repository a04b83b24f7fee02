package io.ktlshttps.server;

import io.ktlshttps.net.KernelTls;
import io.ktlshttps.tls.ServerCredentials;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** /server-status in the Prometheus text exposition format (version 0.0.4). */
public final class StatusPage {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Path TLS_STAT = Path.of("/proc/net/tls_stat");

    private StatusPage() {
    }

    public static byte[] render(ServerMetrics m) {
        StringBuilder b = new StringBuilder(2048);
        counter(b, "ktls_https_connections_total", "Connections after a successful handshake, by record layer.");
        b.append("ktls_https_connections_total{mode=\"kernel\"} ").append(m.kernelConnections.sum()).append('\n');
        b.append("ktls_https_connections_total{mode=\"userspace\"} ").append(m.userSpaceConnections.sum()).append('\n');
        gauge(b, "ktls_https_connections_active", "Connections open now.", m.activeConnections.sum());
        gauge(b, "ktls_https_connections_idle", "Connections waiting for the client's bytes (a handshake flight, a"
                + " request or the rest of one, its FIN) in an event loop's epoll set.", m.idleConnections.sum());
        gauge(b, "ktls_https_connections_writing", "Connections waiting for room in the client's window for the"
                + " rest of a response, in an event loop's epoll set.", m.writeWaits.sum());
        counter(b, "ktls_https_kernel_fallbacks_total", "Connections kernel TLS could not carry, carried in user"
                + " space, by reason: cipher (not in this kernel), max_fragment_length (the kernel cannot cap"
                + " record size), install (setsockopt refused).");
        for (var e : m.fallbacksByReason.entrySet()) {
            b.append("ktls_https_kernel_fallbacks_total{reason=\"").append(e.getKey().label).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        counter(b, "ktls_https_kernel_required_refusals_total", "Connections closed with internal_error because"
                + " --ktls=required and the kernel could not carry them, by reason.");
        for (var e : m.refusalsByReason.entrySet()) {
            b.append("ktls_https_kernel_required_refusals_total{reason=\"").append(e.getKey().label).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        counter(b, "ktls_https_record_limits_total", "Connections whose handshake agreed a client's"
                + " max_fragment_length, by who caps their records: kernel (TLS_TX_MAX_PAYLOAD_LEN, read back from"
                + " the kernel) or userspace.");
        b.append("ktls_https_record_limits_total{capped_by=\"kernel\"} ").append(m.recordLimitsInKernel.sum())
                .append('\n');
        b.append("ktls_https_record_limits_total{capped_by=\"userspace\"} ").append(m.recordLimitsInUserSpace.sum())
                .append('\n');
        counter(b, "ktls_https_alpn_total", "Successful handshakes by the ALPN protocol agreed (none: the client"
                + " offered no ALPN).");
        m.alpnByProtocol.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> b.append("ktls_https_alpn_total{protocol=\"").append(e.getKey()).append("\"} ")
                        .append(e.getValue().sum()).append('\n'));
        counter(b, "ktls_https_handshakes_total", "Successful handshakes: full, or resumed (session ID or ticket).");
        b.append("ktls_https_handshakes_total{kind=\"full\"} ").append(m.handshakes(false)).append('\n');
        b.append("ktls_https_handshakes_total{kind=\"resumed\"} ").append(m.handshakes(true)).append('\n');
        counter(b, "ktls_https_negotiated_total", "Successful handshakes by TLS version, cipher, key exchange"
                + " group (none when resumed) and kind.");
        m.negotiated.entrySet().stream()
                .sorted(java.util.Comparator.comparing(e -> e.getKey().toString()))
                .forEach(e -> b.append("ktls_https_negotiated_total{version=\"").append(e.getKey().version())
                        .append("\",cipher=\"").append(e.getKey().cipher()).append("\",group=\"")
                        .append(e.getKey().group()).append("\",kind=\"")
                        .append(e.getKey().resumed() ? "resumed" : "full").append("\"} ")
                        .append(e.getValue().sum()).append('\n'));
        counter(b, "ktls_https_resumed_total", "Resumed handshakes by TLS version and mechanism (ticket,"
                + " session_id).");
        m.resumedBy.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e -> {
            String[] key = e.getKey().split(" ", 2);
            b.append("ktls_https_resumed_total{version=\"").append(key[0]).append("\",mechanism=\"").append(key[1])
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        });
        counter(b, "ktls_https_tickets_issued_total", "Session tickets sent, by TLS version.");
        m.ticketsIssued.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> b.append("ktls_https_tickets_issued_total{version=\"").append(e.getKey()).append("\"} ")
                        .append(e.getValue().sum()).append('\n'));
        counter(b, "ktls_https_tickets_refused_total", "Tickets offered that could not be used (another key, too"
                + " old, another suite, SNI or ALPN): full handshakes instead.");
        b.append("ktls_https_tickets_refused_total ").append(m.ticketsRefused.sum()).append('\n');
        counter(b, "ktls_https_handshake_failures_total", "Handshakes that failed or timed out.");
        b.append("ktls_https_handshake_failures_total ").append(m.handshakeFailures.sum()).append('\n');
        counter(b, "ktls_https_kernel_rekeys_total", "TLS 1.3 KeyUpdates we sent because a key reached"
                + " --rekey-after records (counted when the connection ends).");
        b.append("ktls_https_kernel_rekeys_total ").append(m.proactiveRekeys.sum()).append('\n');
        counter(b, "ktls_https_requests_total", "HTTP requests answered.");
        b.append("ktls_https_requests_total ").append(m.requests.sum()).append('\n');
        counter(b, "ktls_https_sent_bytes_total", "Response bytes, by path: sendfile(2) and write(2) through"
                + " kernel TLS, or user-space records.");
        b.append("ktls_https_sent_bytes_total{path=\"sendfile\"} ").append(m.bytesSendfile.sum()).append('\n');
        b.append("ktls_https_sent_bytes_total{path=\"kernel_write\"} ").append(m.bytesKernelWrite.sum()).append('\n');
        b.append("ktls_https_sent_bytes_total{path=\"userspace\"} ").append(m.bytesUserSpace.sum()).append('\n');
        b.append("# HELP ktls_https_handshake_signer Who signs handshakes: native (AWS-LC) or bouncycastle.\n")
                .append("# TYPE ktls_https_handshake_signer gauge\nktls_https_handshake_signer{signer=\"")
                .append(m.signer).append("\"} 1\n");
        b.append("# HELP ktls_https_handshake_key_exchange Who computes X25519: native (OpenSSL's libcrypto) or"
                + " bouncycastle.\n# TYPE ktls_https_handshake_key_exchange gauge\n"
                + "ktls_https_handshake_key_exchange{x25519=\"").append(m.keyExchange).append("\"} 1\n");
        counter(b, "ktls_https_native_x25519_total", "X25519 agreements made by OpenSSL's libcrypto.");
        b.append("ktls_https_native_x25519_total ").append(m.nativeX25519Agreements.getAsLong()).append('\n');
        certificate(b, m.servingCredentials());
        gauge(b, "ktls_https_kernel_tls_available", "1 if the running kernel accepts kernel TLS.",
                KernelTls.available() ? 1 : 0);
        jvm(b);
        tlsStat(b);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void counter(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
    }

    private static void gauge(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(value).append('\n');
    }

    /**
     * The certificate new handshakes get: its notAfter (a renewal that did not happen, or a
     * reload that was refused, shows on a dashboard before clients see it) and its SHA-256.
     */
    private static void certificate(StringBuilder b, ServerCredentials credentials) {
        if (credentials == null) {
            return;
        }
        b.append("# HELP ktls_https_certificate_not_after_seconds The serving certificate's notAfter (Unix time),"
                + " labelled with its SHA-256 fingerprint; it changes when SIGHUP reloads a new one.\n")
                .append("# TYPE ktls_https_certificate_not_after_seconds gauge\n")
                .append("ktls_https_certificate_not_after_seconds{sha256=\"").append(credentials.fingerprintSha256())
                .append("\",not_after=\"").append(credentials.notAfter()).append("\"} ")
                .append(credentials.notAfter().getEpochSecond()).append('\n');
    }

    /** The JVM's heap and collections: what idle connections and bursts cost in memory. */
    private static void jvm(StringBuilder b) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        b.append("# HELP ktls_https_jvm_heap_bytes The JVM's heap: in use (garbage included), committed (taken from"
                + " the OS), max.\n# TYPE ktls_https_jvm_heap_bytes gauge\n");
        b.append("ktls_https_jvm_heap_bytes{state=\"used\"} ").append(heap.getUsed()).append('\n');
        b.append("ktls_https_jvm_heap_bytes{state=\"committed\"} ").append(heap.getCommitted()).append('\n');
        b.append("ktls_https_jvm_heap_bytes{state=\"max\"} ").append(heap.getMax()).append('\n');
        counter(b, "ktls_https_jvm_gc_collections_total", "Garbage collections, by collector.");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            b.append("ktls_https_jvm_gc_collections_total{collector=\"").append(gc.getName()).append("\"} ")
                    .append(gc.getCollectionCount()).append('\n');
        }
    }

    /** The kernel's own counters, machine-wide (Documentation/networking/tls.rst). */
    private static void tlsStat(StringBuilder b) {
        if (!Files.isReadable(TLS_STAT)) {
            return;
        }
        b.append("# HELP ktls_https_kernel_tls_stat The kernel's /proc/net/tls_stat counters (all processes).\n");
        b.append("# TYPE ktls_https_kernel_tls_stat untyped\n");
        try {
            for (String line : Files.readAllLines(TLS_STAT)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[1].matches("[0-9]+")) {
                    b.append("ktls_https_kernel_tls_stat{counter=\"").append(parts[0]).append("\"} ")
                            .append(parts[1]).append('\n');
                }
            }
        } catch (IOException e) {
            b.append("# tls_stat unreadable: ").append(e.getClass().getSimpleName()).append('\n');
        }
    }
}
