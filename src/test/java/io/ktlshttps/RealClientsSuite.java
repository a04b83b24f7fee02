package io.ktlshttps;

import io.ktlshttps.server.KernelRefusal;
import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.server.ServerMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.KernelVersion;
import io.ktlshttps.testing.Interop;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS clients nobody here wrote, with the options that change the protocol: record-size
 * limits (openssl's max_fragment_length, gnutls's record_size_limit), ALPN http/1.0,
 * session resumption, and a request sent one byte per record. Every download is checked
 * by SHA-256, and every case says which record layer carried it, read from the server's
 * own counters. Each case adds a row to the interop matrix (target/interop/).
 * Subclasses pick the record layer: user space on any host, kernel TLS on a kTLS kernel.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ServerLogWatch.class)
abstract class RealClientsSuite {
    /** 64 KiB: four full records, or 128 records of 512 bytes. */
    static final int FILE_SIZE = 64 * 1024;

    Path root;
    Path certPem;
    HttpsServer server;
    int port;
    String sha256;

    abstract KtlsMode mode();

    /** The harness name for the interop matrix, e.g. "host, user space" or "Linux 6.1 kernel TLS". */
    abstract String harness();

    @BeforeAll
    void start() throws Exception {
        root = Files.createTempDirectory("ktls-clients-");
        byte[] data = new byte[FILE_SIZE];
        new Random(7).nextBytes(data);
        Files.write(root.resolve("64k.bin"), data);
        sha256 = EndToEndSuite.sha256(data);
        Files.writeString(root.resolve("page.html"), PAGE);
        certPem = root.resolve(".cert.pem");
        TestCredentials.writeCertificatePem(certPem);
        server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), mode()));
        port = server.port();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(5));
        }
    }

    /** What one client run did to the server's counters. */
    record Delta(long kernel, long userSpace, long mflFallbacks, long resumed, long full, long cappedByKernel,
            long cappedInUserSpace, long alpnHttp10, long resumedByTicket, long resumedBySessionId,
            long tls12TicketsIssued, long tls13ResumedByTicket, long tls13TicketsIssued) {
        /** Handshakes that agreed a max_fragment_length, as the server counted them. */
        long limitsAgreed() {
            return cappedByKernel + cappedInUserSpace;
        }

        String recordLayer() {
            return kernel > 0 && userSpace == 0 ? "kernel" : userSpace > 0 && kernel == 0 ? "user space" : "mixed";
        }
    }

    private final class Counters {
        private final long[] before = snapshot();

        private long[] snapshot() {
            ServerMetrics m = server.metrics();
            LongSupplier[] all = {m.kernelConnections::sum, m.userSpaceConnections::sum,
                m.fallbacksByReason.get(KernelRefusal.MAX_FRAGMENT_LENGTH)::sum,
                () -> m.handshakes(true), () -> m.handshakes(false), m.recordLimitsInKernel::sum,
                m.recordLimitsInUserSpace::sum, () -> m.alpnHandshakes("http/1.0"),
                () -> m.resumed("TLSv1.2", "ticket"), () -> m.resumed("TLSv1.2", "session_id"),
                () -> m.ticketsIssued("TLSv1.2"), () -> m.resumed("TLSv1.3", "ticket"),
                () -> m.ticketsIssued("TLSv1.3")};
            return Arrays.stream(all).mapToLong(LongSupplier::getAsLong).toArray();
        }

        Delta delta() {
            long[] after = snapshot();
            long[] d = new long[after.length];
            Arrays.setAll(d, i -> after[i] - before[i]);
            return new Delta(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12]);
        }
    }

    /** Runs a client with the bytes on its stdin; returns its stdout, failing with stderr on a non-zero exit. */
    static byte[] run(List<String> command, String stdin) throws Exception {
        Path err = Files.createTempFile("client-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + Files.readString(err));
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** The body of a 200 response, whole: the output is the response and nothing else. */
    static byte[] body(byte[] response) {
        String text = new String(response, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n") || text.startsWith("HTTP/1.0 200 OK\r\n"),
                text.substring(0, Math.min(200, text.length())));
        int end = text.indexOf("\r\n\r\n");
        return Arrays.copyOfRange(response, end + 4, response.length);
    }

    private static final String GET_64K = "GET /64k.bin HTTP/1.0\r\nHost: localhost\r\n\r\n";

    /**
     * Where the kernel may carry a connection with a record-size limit: only where it can
     * cap its records (6.19+); before that --ktls=auto keeps it in user space and
     * --ktls=required declines the limit, so the kernel carries it at 2^14.
     */
    private void assertRecordLayerForLimit(Delta d, String what) {
        switch (mode()) {
            case OFF:
                assertEquals(1, d.userSpace(), what);
                break;
            case AUTO:
                if (KernelVersion.capsRecords()) {
                    assertEquals(1, d.kernel(), what + ": the kernel caps its records");
                } else {
                    assertEquals(1, d.userSpace(), what + ": user space, as the kernel cannot cap records");
                    assertEquals(1, d.mflFallbacks(), what + ": counted as a max_fragment_length fallback");
                }
                break;
            case REQUIRED:
                assertEquals(1, d.kernel(), what);
                assertEquals(0, d.userSpace(), what);
                break;
            default:
                throw new AssertionError(mode());
        }
    }

    /**
     * The matrix row for a client that asked for a record-size limit, from the server's
     * counters alone: "records capped" only where the limit was agreed and the kernel said
     * its cap was in force; "declined" only where no limit was agreed.
     */
    private String limitOutcome(Delta d) {
        if (d.limitsAgreed() == 0) {
            assertEquals(KtlsMode.REQUIRED, mode(), "only --ktls=required ever declines a max_fragment_length");
            assertFalse(KernelVersion.capsRecords(), "declined on a kernel that caps records (6.19+)");
            assertEquals(1, d.kernel() + d.userSpace(), "one connection");
            return "ok, limit declined, " + d.recordLayer();
        }
        assertEquals(1, d.limitsAgreed(), "one connection, its limit agreed");
        if (d.kernel() > 0) {
            assertEquals(1, d.cappedByKernel(), "max_fragment_length agreed and the kernel carried the connection:"
                    + " the kernel must say it caps the records");
            return "ok, kernel, records capped (TLS_TX_MAX_PAYLOAD_LEN)";
        }
        assertEquals(1, d.cappedInUserSpace(), "agreed, and capped in user space");
        return "ok, user space" + (d.mflFallbacks() > 0 ? " (fallback: the kernel cannot cap records)" : "");
    }

    /** openssl s_client -maxfraglen (RFC 6066): every record it gets must fit, or it fails the read. */
    @ParameterizedTest(name = "TLS {0} max_fragment_length {1}")
    @CsvSource({"1.2, 512", "1.2, 1024", "1.2, 2048", "1.2, 4096", "1.3, 512", "1.3, 1024", "1.3, 2048", "1.3, 4096"})
    void opensslMaxFragmentLength(String tls, int length) throws Exception {
        Counters counters = new Counters();
        byte[] out = run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-quiet", "-CAfile",
                certPem.toString(), "-tls" + tls.replace('.', '_'), "-maxfraglen", Integer.toString(length)), GET_64K);
        assertEquals(sha256, EndToEndSuite.sha256(body(out)), "openssl -maxfraglen " + length);
        Delta d = counters.delta();
        assertRecordLayerForLimit(d, "TLS " + tls + " max_fragment_length " + length);
        Interop.record(harness(), "openssl s_client", "-maxfraglen " + length, "TLS " + tls, limitOutcome(d));
    }

    /**
     * gnutls-cli --recordsize (RFC 8449). GnuTLS also sends max_fragment_length when the
     * size is one of its values (512 to 4096), which BouncyCastle agrees to; for other
     * sizes only record_size_limit goes out, which BouncyCastle does not implement, so
     * records stay at 2^14 and the client must take them.
     */
    @ParameterizedTest(name = "TLS {0} record_size_limit {1}")
    @CsvSource({"1.2, 512", "1.2, 2048", "1.2, 1000", "1.3, 512", "1.3, 2048", "1.3, 1000"})
    void gnutlsRecordSize(String tls, int size) throws Exception {
        Counters counters = new Counters();
        Path log = Files.createTempFile("gnutls-", ".log");
        try {
            byte[] out = run(List.of("gnutls-cli", "--x509cafile", certPem.toString(), "-p", Integer.toString(port),
                    "localhost", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS" + tls, "--recordsize",
                    Integer.toString(size), "--logfile", log.toString()), GET_64K);
            assertEquals(sha256, EndToEndSuite.sha256(body(out)), "gnutls-cli --recordsize " + size);
        } finally {
            Files.deleteIfExists(log);
        }
        Delta d = counters.delta();
        boolean mfl = size == 512 || size == 1024 || size == 2048 || size == 4096;
        if (mfl) {
            assertRecordLayerForLimit(d, "gnutls --recordsize " + size);
        } else {
            assertEquals(0, d.mflFallbacks(), "no limit was negotiated");
            assertEquals(0, d.limitsAgreed(), "no limit was negotiated");
            assertEquals(mode() == KtlsMode.OFF ? 0 : 1, d.kernel(), "no limit: the kernel path as usual");
        }
        Interop.record(harness(), "gnutls-cli", "--recordsize " + size, "TLS " + tls,
                mfl ? limitOutcome(d) : "ok, not negotiated (2^14 records), " + d.recordLayer());
    }

    /** Runs a client that may fail: its exit status and its stdout and stderr together. */
    static Map.Entry<Integer, String> runMayFail(List<String> command, String stdin) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return Map.entry(p.exitValue(), out);
    }

    /**
     * A TLS 1.2 client whose supported_groups lack our certificate's curve (P-256) cannot
     * check its signature: RFC 8422 section 5.1 says no ECC suite then, so it gets
     * handshake_failure from us, as from nginx, and not a certificate it refuses with
     * illegal_parameter ("wrong curve"). With P-256 listed after X25519 it connects, and
     * the key exchange still takes X25519.
     */
    @Test
    void aTls12ClientWithoutTheCertificatesCurveGetsHandshakeFailure() throws Exception {
        List<String> base = List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
                "-CAfile", certPem.toString(), "-ign_eof", "-groups");
        List<String> x25519Only = new ArrayList<>(base);
        x25519Only.add("X25519");
        Map.Entry<Integer, String> refused = runMayFail(x25519Only, GET_64K);
        assertTrue(refused.getKey() != 0, refused.getValue());
        assertTrue(refused.getValue().contains("alert handshake failure"), refused.getValue());
        assertFalse(refused.getValue().contains("wrong curve"), refused.getValue());
        List<String> withP256 = new ArrayList<>(base);
        withP256.add("X25519:P-256");
        String out = new String(run(withP256, GET_64K), StandardCharsets.ISO_8859_1);
        assertTrue(out.contains("Server Temp Key: X25519"), out);
        assertTrue(out.contains("HTTP/1.0 200 OK\r\n"), out);
        Interop.record(harness(), "openssl s_client", "-groups X25519 (not the certificate's P-256)", "TLS 1.2",
                "handshake_failure, as from nginx; with P-256 too: ok, X25519");
    }

    /** curl --http1.0 offers ALPN http/1.0 only (RFC 7301), and the server must agree to it. */
    @Test
    void curlHttp10OffersAlpnHttp10() throws Exception {
        Counters counters = new Counters();
        byte[] out = run(List.of("curl", "-sS", "--fail", "--http1.0", "--tlsv1.3", "--cacert", certPem.toString(),
                "--include", "https://localhost:" + port + "/64k.bin"), "");
        assertTrue(new String(out, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.0 200 OK\r\n"));
        assertEquals(sha256, EndToEndSuite.sha256(body(out)));
        Delta d = counters.delta();
        assertEquals(1, d.alpnHttp10(), "the server's counters: one handshake agreed ALPN http/1.0");
        String status = new String(run(List.of("curl", "-sS", "--fail", "--cacert", certPem.toString(),
                "https://localhost:" + port + "/server-status"), ""), StandardCharsets.UTF_8);
        assertTrue(status.contains("\nktls_https_alpn_total{protocol=\"http/1.0\"} "), status);
        Interop.record(harness(), "curl", "--http1.0 (ALPN http/1.0)", "TLS 1.3",
                "ok, ALPN http/1.0 agreed, " + d.recordLayer());
    }

    private void assertResumedOnTheSamePath(Delta d, String what, String mechanism) throws Exception {
        assertResumedOnTheSamePath(d, what, "TLSv1.2", mechanism);
    }

    /**
     * One full handshake and one resumed by this mechanism ("ticket": TLS 1.2's full
     * handshake sent one ticket, TLS 1.3 sends one after every handshake; "session_id": no
     * ticket), both on the mode's record layer; and /server-status says what the server's
     * counters say.
     */
    private void assertResumedOnTheSamePath(Delta d, String what, String version, String mechanism)
            throws Exception {
        assertEquals(1, d.resumed(), what + ": one resumed handshake");
        assertEquals(1, d.full(), what + ": one full handshake");
        if (version.equals("TLSv1.3")) {
            assertEquals(1, d.tls13ResumedByTicket(), what + ": resumed by its TLS 1.3 ticket");
            assertEquals(2, d.tls13TicketsIssued(), what + ": a ticket after each handshake");
        } else if (mechanism.equals("ticket")) {
            assertEquals(1, d.resumedByTicket(), what + ": resumed by its ticket");
            assertEquals(1, d.tls12TicketsIssued(), what + ": the full handshake sent a ticket");
        } else {
            assertEquals(1, d.resumedBySessionId(), what + ": resumed by session ID");
            assertEquals(0, d.tls12TicketsIssued(), what + ": no ticket");
        }
        assertStatusSays("ktls_https_resumed_total{version=\"" + version + "\",mechanism=\"" + mechanism + "\"}",
                server.metrics().resumed(version, mechanism));
        assertStatusSays("ktls_https_tickets_issued_total{version=\"" + version + "\"}",
                server.metrics().ticketsIssued(version));
        if (mode() == KtlsMode.OFF) {
            assertEquals(2, d.userSpace(), what);
        } else {
            assertEquals(2, d.kernel(), what + ": the resumed connection is handed to the kernel too");
            assertEquals(0, d.userSpace(), what);
        }
    }

    /**
     * /server-status (fetched by curl over the other TLS version, so as to leave this
     * version's counters alone) shows this counter line with this value.
     */
    private void assertStatusSays(String counter, long value) throws Exception {
        boolean tls13 = counter.contains("TLSv1.3");
        String status = new String(run(List.of("curl", "-sS", "--fail", tls13 ? "--tlsv1.2" : "--tlsv1.3", "--tls-max",
                tls13 ? "1.2" : "1.3", "--cacert", certPem.toString(),
                "https://localhost:" + port + "/server-status"), ""), StandardCharsets.UTF_8);
        assertTrue(status.contains("\n" + counter + " " + value + "\n")
                || (value == 0 && !status.contains("\n" + counter + " ")), counter + " " + value + " in:\n" + status);
    }

    /**
     * openssl s_client -sess_out, then -sess_in: the second connection says "Reused" and
     * downloads; by its ticket (RFC 5077), or with -no_ticket by session ID.
     */
    @ParameterizedTest(name = "TLS {0} by {1}")
    @CsvSource({"1.2, ticket", "1.2, session_id", "1.3, ticket"})
    void opensslResumes(String tls, String mechanism) throws Exception {
        String version = "TLSv" + tls;
        Path session = Files.createTempFile("openssl-", ".session");
        try {
            Counters counters = new Counters();
            List<String> base = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                    tls.equals("1.3") ? "-tls1_3" : "-tls1_2", "-CAfile", certPem.toString(), "-ign_eof"));
            if (mechanism.equals("session_id")) {
                base.add("-no_ticket");
            }
            List<String> first = new ArrayList<>(base);
            first.addAll(List.of("-sess_out", session.toString()));
            String firstOut = new String(run(first, GET_64K), StandardCharsets.ISO_8859_1);
            assertTrue(firstOut.contains("\nNew, " + version), firstOut);
            List<String> second = new ArrayList<>(base);
            second.addAll(List.of("-sess_in", session.toString()));
            byte[] out = run(second, GET_64K);
            String secondOut = new String(out, StandardCharsets.ISO_8859_1);
            assertTrue(secondOut.contains("\nReused, " + version), secondOut);
            int start = secondOut.indexOf("HTTP/1.0 200 OK\r\n");
            assertTrue(start > 0, secondOut);
            byte[] response = Arrays.copyOfRange(out, start, out.length);
            byte[] body = body(response);
            // s_client prints its closing report after the data: keep exactly the body.
            assertEquals(sha256, EndToEndSuite.sha256(Arrays.copyOf(body, FILE_SIZE)));
            Delta d = counters.delta();
            assertTrue(firstOut.contains("TLS session ticket lifetime hint: 300") == mechanism.equals("ticket"),
                    firstOut);
            assertResumedOnTheSamePath(d, "openssl -sess_in", version, mechanism);
            Interop.record(harness(), "openssl s_client", mechanism.equals("ticket") ? "-sess_out, then -sess_in"
                    : "-no_ticket -sess_out, then -sess_in", "TLS " + tls, "ok, resumed by " + mechanism + ", "
                    + d.recordLayer());
        } finally {
            Files.deleteIfExists(session);
        }
    }

    /**
     * OpenSSL offers its session even when its cipher list no longer has the session's
     * suite. That is a full handshake, not an alert (BouncyCastle alone answers
     * internal_error), and the connection works.
     */
    @Test
    void aSessionWhoseSuiteIsNoLongerOfferedIsAFullHandshake() throws Exception {
        Path session = Files.createTempFile("openssl-", ".session");
        try {
            List<String> base = List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
                    "-CAfile", certPem.toString(), "-ign_eof");
            List<String> first = new ArrayList<>(base);
            first.addAll(List.of("-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-sess_out", session.toString()));
            run(first, GET_64K);
            Counters counters = new Counters();
            List<String> second = new ArrayList<>(base);
            second.addAll(List.of("-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-sess_in", session.toString()));
            String out = new String(run(second, GET_64K), StandardCharsets.ISO_8859_1);
            assertTrue(out.contains("\nNew, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), out);
            assertTrue(out.contains("HTTP/1.0 200 OK\r\n"), out);
            Delta d = counters.delta();
            assertEquals(1, d.full());
            assertEquals(0, d.resumed());
        } finally {
            Files.deleteIfExists(session);
        }
    }

    /**
     * curl keeps its session between two URLs on one command line; Connection: close
     * forces a new connection. curl 7.88 over OpenSSL sends no SessionTicket extension in
     * TLS 1.2 (it turns tickets off there), so it resumes by session ID: the two mechanisms
     * live side by side. In TLS 1.3 it resumes by ticket.
     */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2, session_id", "1.3, ticket"})
    void curlResumes(String tls, String mechanism) throws Exception {
        Counters counters = new Counters();
        String url = "https://localhost:" + port + "/64k.bin";
        byte[] out = run(List.of("curl", "-sS", "--fail", "--tlsv" + tls, "--tls-max", tls, "--cacert",
                certPem.toString(), "-H", "Connection: close", url, url), "");
        assertEquals(2 * FILE_SIZE, out.length);
        assertEquals(sha256, EndToEndSuite.sha256(Arrays.copyOfRange(out, FILE_SIZE, 2 * FILE_SIZE)));
        Delta d = counters.delta();
        assertResumedOnTheSamePath(d, "curl, two URLs", "TLSv" + tls, mechanism);
        Interop.record(harness(), "curl", "two URLs, Connection: close", "TLS " + tls, "ok, resumed by "
                + mechanism.replace('_', ' ') + ", " + d.recordLayer());
    }

    /**
     * gnutls-cli --resume: a handshake, then a second connection offering its session,
     * which carries the request. The first connection ends right after its handshake, so
     * its FIN can beat the handoff (the kernel then refuses it: ENOTCONN), and only the
     * second is sure to reach the kernel.
     */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void gnutlsResumes(String tls) throws Exception {
        Counters counters = new Counters();
        Path log = Files.createTempFile("gnutls-", ".log");
        try {
            byte[] out = run(List.of("gnutls-cli", "--x509cafile", certPem.toString(), "-p", Integer.toString(port),
                    "localhost", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS" + tls, "--resume", "--logfile",
                    log.toString()), GET_64K);
            assertTrue(Files.readString(log).contains("This is a resumed session"), Files.readString(log));
            assertEquals(sha256, EndToEndSuite.sha256(body(out)), "the download on the resumed connection");
        } finally {
            Files.deleteIfExists(log);
        }
        Delta d = counters.delta();
        assertEquals(1, d.resumed());
        assertEquals(1, d.full());
        String version = "TLSv" + tls;
        assertEquals(1, tls.equals("1.3") ? d.tls13ResumedByTicket() : d.resumedByTicket(),
                "gnutls resumes by its ticket");
        assertStatusSays("ktls_https_resumed_total{version=\"" + version + "\",mechanism=\"ticket\"}",
                server.metrics().resumed(version, "ticket"));
        if (mode() != KtlsMode.OFF) {
            assertTrue(d.kernel() >= 1, "the resumed connection went to the kernel");
        }
        Interop.record(harness(), "gnutls-cli", "--resume", "TLS " + tls, "ok, resumed by ticket, "
                + (mode() == KtlsMode.OFF ? "user space" : "kernel"));
    }

    /**
     * Go's crypto/tls (Debian's golang-go) with a ClientSessionCache: TLS 1.3 by ticket, and
     * TLS 1.2 by ticket only, since Go never resumes by session ID. Go before 1.21 has no
     * extended master secret (RFC 7627), and we resume no TLS 1.2 session without it: such
     * a Go gets no ticket and a full handshake each time (nginx, which does not insist,
     * resumes it).
     */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void goResumes(String tls) throws Exception {
        Path cache = Path.of("target", "go-cache").toAbsolutePath();
        Files.createDirectories(cache);
        List<String> go = List.of("env", "HOME=" + cache, "GOCACHE=" + cache.resolve("build"), "GOPATH=" + cache,
                "GO111MODULE=off", "go");
        String goVersion = new String(run(concat(go, "version"), ""), StandardCharsets.US_ASCII).trim();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("go1\\.(\\d+)").matcher(goVersion);
        assertTrue(m.find(), goVersion);
        boolean ems = Integer.parseInt(m.group(1)) >= 21;
        Counters counters = new Counters();
        byte[] out = run(concat(go, "run", Path.of("src/test/resources/clients/go_tls_get.go").toAbsolutePath()
                .toString(), Integer.toString(port), certPem.toString(), "/64k.bin", tls), "");
        Delta d = counters.delta();
        if (tls.equals("1.2") && !ems) {
            assertEquals("200 " + sha256 + " TLSv1.2 new", new String(out, StandardCharsets.US_ASCII).trim());
            assertEquals(2, d.full(), goVersion + ": no extended master secret, no resumption");
            assertEquals(0, d.tls12TicketsIssued(), goVersion + ": no ticket without the extended master secret");
            Interop.record(harness(), "Go crypto/tls", "ClientSessionCache (" + goVersion.split(" ")[2] + ")",
                    "TLS 1.2", "ok, full handshakes (no extended master secret before Go 1.21), " + d.recordLayer());
            return;
        }
        assertEquals("200 " + sha256 + " TLSv" + tls + " resumed", new String(out, StandardCharsets.US_ASCII).trim());
        assertResumedOnTheSamePath(d, "Go crypto/tls", "TLSv" + tls, "ticket");
        Interop.record(harness(), "Go crypto/tls", "ClientSessionCache (" + goVersion.split(" ")[2] + ")",
                "TLS " + tls, "ok, resumed by ticket, " + d.recordLayer());
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    /** Node.js's tls module, offering the first connection's session on the second. */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void nodeResumes(String tls) throws Exception {
        Counters counters = new Counters();
        byte[] out = run(List.of("node", Path.of("src/test/resources/clients/node_tls_get.js").toAbsolutePath()
                .toString(), Integer.toString(port), certPem.toString(), "/64k.bin", tls), "");
        assertEquals("200 " + sha256 + " TLSv" + tls + " resumed", new String(out, StandardCharsets.US_ASCII).trim());
        Delta d = counters.delta();
        assertResumedOnTheSamePath(d, "Node.js tls session", "TLSv" + tls, "ticket");
        Interop.record(harness(), "Node.js tls", "session (resumption)", "TLS " + tls, "ok, resumed by ticket, "
                + d.recordLayer());
    }

    /**
     * The JDK's HttpClient: two clients on one SSLContext, whose session cache the second
     * one's connection resumes from. JSSE has no "resumed" flag; a resumed session keeps the
     * creation time of the session it resumed, a new one gets its own.
     */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void jdkHttpClientResumes(String tls) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(certPem)) {
            trust.setCertificateEntry("server", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory trustManagers = javax.net.ssl.TrustManagerFactory
                .getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);
        javax.net.ssl.SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {"TLSv" + tls});
        Counters counters = new Counters();
        java.util.List<javax.net.ssl.SSLSession> sessions = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(context)
                    .sslParameters(parameters).version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            java.net.http.HttpResponse<byte[]> response = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://localhost:" + port + "/64k.bin")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode());
            assertEquals(sha256, EndToEndSuite.sha256(response.body()));
            sessions.add(response.sslSession().orElseThrow());
        }
        assertEquals("TLSv" + tls, sessions.get(1).getProtocol());
        assertEquals(sessions.get(0).getCreationTime(), sessions.get(1).getCreationTime(),
                "the client's second session is the first one resumed");
        Delta d = counters.delta();
        assertResumedOnTheSamePath(d, "JDK HttpClient", "TLSv" + tls, "ticket");
        Interop.record(harness(), "JDK HttpClient", "two clients, one SSLContext", "TLS " + tls,
                "ok, resumed by ticket, " + d.recordLayer());
    }

    /** Python's ssl module, resuming with SSLSocket.session: TLS 1.2 by ticket, TLS 1.3 by ticket. */
    @ParameterizedTest(name = "TLS {0}")
    @CsvSource({"1.2", "1.3"})
    void pythonResumes(String tls) throws Exception {
        Counters counters = new Counters();
        byte[] out = run(List.of("python3", script(), "--port", Integer.toString(port), "--cafile", certPem.toString(),
                "--path", "/64k.bin", "--tls", tls, "--resume"), "");
        assertEquals("200 " + sha256 + " TLSv" + tls + " resumed", new String(out, StandardCharsets.US_ASCII).trim());
        Delta d = counters.delta();
        assertResumedOnTheSamePath(d, "Python ssl session=", "TLSv" + tls, "ticket");
        Interop.record(harness(), "Python ssl", "session= (resumption)", "TLS " + tls, "ok, resumed by ticket, "
                + d.recordLayer());
    }

    /** The request one byte per TLS record: the server reassembles it across 60-odd records. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TlsVersion.class)
    void pythonSendsTheRequestOneBytePerRecord(TlsVersion version) throws Exception {
        Counters counters = new Counters();
        String tls = version == TlsVersion.TLS_1_2 ? "1.2" : "1.3";
        byte[] out = run(List.of("python3", script(), "--port", Integer.toString(port), "--cafile", certPem.toString(),
                "--path", "/64k.bin", "--tls", tls, "--byte-records"), "");
        assertEquals("200 " + sha256 + " " + version + " new", new String(out, StandardCharsets.US_ASCII).trim());
        Delta d = counters.delta();
        assertEquals(mode() == KtlsMode.OFF ? 0 : 1, d.kernel());
        Interop.record(harness(), "Python ssl", "request one byte per record", "TLS " + tls, "ok, " + d.recordLayer());
    }

    /** A page whose script fetches the file and shows its SHA-256, as a browser computes it. */
    private static final String PAGE = "<!DOCTYPE html><html><body><p id=\"out\">pending</p><script>\n"
            + "fetch('/64k.bin').then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))\n"
            + ".then(h => { document.getElementById('out').textContent = 'digest:' + Array.from(new Uint8Array(h))\n"
            + ".map(x => x.toString(16).padStart(2, '0')).join(''); })\n"
            + ".catch(e => { document.getElementById('out').textContent = 'failed:' + e; });\n"
            + "</script></body></html>\n";

    /**
     * A real browser: headless Chromium loads the page over TLS, and its script fetches the
     * file. The certificate is trusted by its SPKI hash, nothing else is relaxed.
     */
    @Test
    void chromiumLoadsAPageWhoseScriptFetchesAFile() throws Exception {
        Counters counters = new Counters();
        java.security.PublicKey key = java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(TestCredentials.ec().chain().get(0)))
                .getPublicKey();
        String spki = Base64.getEncoder().encodeToString(
                java.security.MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        Path profile = Files.createTempDirectory("chromium-");
        try {
            byte[] out = run(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                    "--ignore-certificate-errors-spki-list=" + spki, "--virtual-time-budget=30000", "--dump-dom",
                    "https://localhost:" + port + "/page.html"), "");
            String dom = new String(out, StandardCharsets.UTF_8);
            assertTrue(dom.contains("<p id=\"out\">digest:" + sha256 + "</p>"), dom);
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Delta d = counters.delta();
        assertTrue(d.kernel() + d.userSpace() >= 1);
        if (mode() != KtlsMode.OFF) {
            // Not "all of them": a browser may open a spare connection and close it unused,
            // and one closed before the handoff cannot go to the kernel.
            assertTrue(d.kernel() >= 1, "the browser's page and fetch came through the kernel");
        }
        Interop.record(harness(), "Chromium (headless)", "page script fetch()", "negotiated",
                "ok, " + d.recordLayer());
    }

    static String script() {
        return Path.of("src/test/resources/clients/python_ssl_get.py").toAbsolutePath().toString();
    }
}
