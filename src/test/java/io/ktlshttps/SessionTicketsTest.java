package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.tls.TicketKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session tickets, TLS 1.2 (RFC 5077) and TLS 1.3, with openssl s_client, a client we did
 * not write: every ticket the server must not accept (tampered, sealed by another key, too
 * old, made for another SNI or ALPN; in TLS 1.3 a binder that does not verify) is a full
 * handshake that works, counted as a refused ticket; and servers sharing a --ticket-key
 * file resume each other's clients. Each case reads the outcome from the client ("New" or
 * "Reused") and from /server-status.
 */
@ExtendWith(ServerLogWatch.class)
class SessionTicketsTest {
    private static final String GET = "GET /a.txt HTTP/1.0\r\nHost: localhost\r\n\r\n";

    @TempDir
    Path dir;
    private Path root;
    private final List<HttpsServer> servers = new ArrayList<>();

    @BeforeEach
    void site() throws Exception {
        root = Files.createDirectory(dir.resolve("site"));
        Files.writeString(root.resolve("a.txt"), "ticket or not\n");
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(Duration.ofSeconds(2)));
    }

    private HttpsServer start(Duration lifetime, TicketKeys.Key key) throws Exception {
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.OFF)
                .withSessionCache(100, lifetime).withSessionTickets(true, key));
        servers.add(server);
        return server;
    }

    /** TLS 1.2 or 1.3: the version every openssl run of the case uses. */
    private String tls = "1.2";

    private String version() {
        return "TLSv" + tls;
    }

    /** One openssl s_client run with a GET; returns its output, checked to hold the response. */
    private String openssl(HttpsServer server, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + server.port(), tls.equals("1.3") ? "-tls1_3" : "-tls1_2", "-ign_eof"));
        command.addAll(List.of(options));
        String out = new String(RealClientsSuite.run(command, GET), StandardCharsets.ISO_8859_1);
        assertTrue(out.contains("HTTP/1.0 200 OK\r\n") && out.contains("ticket or not\n"), out);
        return out;
    }

    /**
     * The server's /server-status, by curl over TLS 1.2, where curl offers no ticket and
     * gets none: the ticket counters stay as they are.
     */
    private static String status(HttpsServer server) throws Exception {
        return new String(RealClientsSuite.run(List.of("curl", "-sS", "--fail", "-k", "--tls-max", "1.2",
                "https://127.0.0.1:" + server.port() + "/server-status"), ""), StandardCharsets.UTF_8);
    }

    private static long counter(String status, String line) {
        Matcher m = Pattern.compile("\n" + Pattern.quote(line) + " (\\d+)\n").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private String byTicket() {
        return "ktls_https_resumed_total{version=\"" + version() + "\",mechanism=\"ticket\"}";
    }

    private static final String REFUSED = "ktls_https_tickets_refused_total";

    /** A session file from a first, full handshake that got a ticket. */
    private Path ticketFrom(HttpsServer server, String... options) throws Exception {
        Path session = dir.resolve("session-" + System.nanoTime() + ".pem");
        List<String> first = new ArrayList<>(List.of(options));
        first.addAll(List.of("-sess_out", session.toString()));
        String out = openssl(server, first.toArray(String[]::new));
        assertTrue(out.contains("\nNew, " + version()), out);
        assertTrue(out.contains("TLS session ticket:"), "the full handshake sends a ticket: " + out);
        return session;
    }

    /** The second connection, offering the session: a full handshake that refused the ticket. */
    private void assertRefused(HttpsServer server, Path session, String... options) throws Exception {
        List<String> second = new ArrayList<>(List.of(options));
        second.addAll(List.of("-sess_in", session.toString()));
        String out = openssl(server, second.toArray(String[]::new));
        assertTrue(out.contains("\nNew, " + version()), "a full handshake, no alert: " + out);
        String status = status(server);
        assertEquals(0, counter(status, byTicket()), status);
        assertEquals(1, counter(status, REFUSED), "the server saw the ticket and refused it: " + status);
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void aTicketResumes(String version) throws Exception {
        tls = version;
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server);
        String out = openssl(server, "-sess_in", session.toString());
        assertTrue(out.contains("\nReused, " + version()), out);
        String status = status(server);
        assertEquals(1, counter(status, byTicket()), status);
        // TLS 1.2: none on the resumed connection (BouncyCastle's abbreviated handshake
        // has no NewSessionTicket); TLS 1.3: one after every handshake.
        assertEquals(tls.equals("1.3") ? 2 : 1, counter(status,
                "ktls_https_tickets_issued_total{version=\"" + version() + "\"}"), status);
        assertEquals(0, counter(status, REFUSED), status);
        // The start-up self-test (the JDK's client resuming TLS 1.3) passed: no "off" in the banner.
        assertTrue(server.banner().contains("\nsession tickets: a random key, rotated every 300 s; tickets good for"
                + " 300 s\n"), server.banner());
    }

    /**
     * TLS 1.3 with a HelloRetryRequest in both handshakes (openssl sends a key share for
     * ffdhe2048, which we do not take, first): the ticket's PSK comes from a transcript that
     * begins with message_hash, and so does the binder the second ClientHello carries.
     */
    @Test
    void aTls13TicketResumesAcrossHelloRetryRequests() throws Exception {
        tls = "1.3";
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server, "-groups", "ffdhe2048:X25519", "-msg");
        String out = openssl(server, "-groups", "ffdhe2048:X25519", "-msg", "-sess_in", session.toString());
        assertTrue(out.contains("\nReused, TLSv1.3"), out);
        assertEquals(2, out.split("ServerHello", -1).length - 1, "a HelloRetryRequest and a ServerHello: " + out);
        assertEquals(1, counter(status(server), byTicket()));
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void aTamperedTicketIsAFullHandshake(String version) throws Exception {
        tls = version;
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server);
        assertRefused(server, tamper(session, "TLS session ticket:"));
    }

    /**
     * TLS 1.3: the session's PSK (openssl's "Resumption PSK") changed, so the client's
     * binder does not verify. BouncyCastle alone would answer decrypt_error; the server
     * checks the binder first and makes it a full handshake.
     */
    @Test
    void aBinderThatDoesNotVerifyIsAFullHandshake() throws Exception {
        tls = "1.3";
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server);
        assertRefused(server, tamper(session, "Resumption PSK:"));
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void aTicketFromAnotherServersRandomKeyIsAFullHandshake(String version) throws Exception {
        tls = version;
        Path session = ticketFrom(start(Duration.ofMinutes(5), null));
        assertRefused(start(Duration.ofMinutes(5), null), session);
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void serversSharingAKeyFileResumeEachOthersClients(String version) throws Exception {
        tls = version;
        byte[] bytes = new byte[80];
        new SecureRandom().nextBytes(bytes);
        Path file = Files.write(dir.resolve("ticket.key"), bytes);
        Path session = ticketFrom(start(Duration.ofMinutes(5), TicketKeys.Key.read(file)));
        HttpsServer other = start(Duration.ofMinutes(5), TicketKeys.Key.read(file));
        String out = openssl(other, "-sess_in", session.toString());
        assertTrue(out.contains("\nReused, " + version()), out);
        assertEquals(1, counter(status(other), byTicket()));
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void anExpiredTicketIsAFullHandshake(String version) throws Exception {
        tls = version;
        HttpsServer server = start(Duration.ofSeconds(2), null);
        Path session = ticketFrom(server);
        Thread.sleep(2_500);
        assertRefused(server, session);
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void aTicketForAnotherServerNameIsAFullHandshake(String version) throws Exception {
        tls = version;
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server, "-servername", "a.example");
        assertRefused(server, session, "-servername", "b.example");
    }

    @ParameterizedTest(name = "TLS {0}")
    @ValueSource(strings = {"1.2", "1.3"})
    void aTicketForAnotherAlpnProtocolIsAFullHandshake(String version) throws Exception {
        tls = version;
        HttpsServer server = start(Duration.ofMinutes(5), null);
        Path session = ticketFrom(server, "-alpn", "http/1.1");
        assertRefused(server, session, "-alpn", "http/1.0");
    }

    /**
     * A client that offers early data (0-RTT) anyway, with a ticket from another server
     * (openssl s_server -early_data) under the same name: our tickets never allow early data,
     * so its 0-RTT records must be skipped (RFC 8446 section 4.2.10), which BouncyCastle
     * alone does not do (bad_record_mac). The handshake is a full one, openssl says its early
     * data was rejected, and the request it then sends is answered. Once with a few bytes of
     * early data, once with 15,000 (several records, some after our ServerHello went out).
     */
    @ParameterizedTest(name = "{0} bytes of early data")
    @ValueSource(ints = {24, 15_000})
    void earlyDataIsRejectedAndSkipped(int size) throws Exception {
        tls = "1.3";
        Path session = earlyDataSessionFromOpensslServer();
        Path early = Files.writeString(dir.resolve("early.txt"), "x".repeat(size));
        HttpsServer server = start(Duration.ofMinutes(5), null);
        String out = openssl(server, "-sess_in", session.toString(), "-early_data", early.toString());
        assertTrue(out.contains("\nNew, TLSv1.3") && out.contains("Early data was rejected"), out);
        String status = status(server);
        assertEquals(1, counter(status, REFUSED), "another server's ticket: " + status);
        assertEquals(0, counter(status, "ktls_https_handshake_failures_total"), status);
    }

    /** A TLS 1.3 session that allows early data, from openssl's own server. */
    private Path earlyDataSessionFromOpensslServer() throws Exception {
        Path key = dir.resolve("ossl-key.pem");
        Path cert = dir.resolve("ossl-cert.pem");
        TestCredentials.opensslEcIdentity("prime256v1", key, cert);
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Process opensslServer = new ProcessBuilder("openssl", "s_server", "-accept", Integer.toString(port),
                "-cert", cert.toString(), "-key", key.toString(), "-tls1_3", "-early_data", "-quiet")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Path session = dir.resolve("early-data-session.pem");
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (true) { // until it listens
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    s.shutdownOutput();
                    break;
                } catch (java.io.IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
            // stdin stays open a moment, so that s_client takes the NewSessionTicket before it quits
            Process client = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_3",
                    "-sess_out", session.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            client.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            Thread.sleep(500);
            client.getOutputStream().close();
            assertTrue(client.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "openssl s_client did not end");
        } finally {
            opensslServer.destroy();
            opensslServer.waitFor();
        }
        String text = new String(RealClientsSuite.run(List.of("openssl", "sess_id", "-in", session.toString(),
                "-text", "-noout"), ""), StandardCharsets.US_ASCII);
        assertTrue(text.contains("Max Early Data: 16384"), "a session that allows early data: " + text);
        return session;
    }

    /**
     * The session file with one byte of a field changed: the ticket (its hex dump after
     * "TLS session ticket:") or the TLS 1.3 PSK ("Resumption PSK: HEX"), as
     * {@code openssl sess_id -text} prints them, found in the session's DER.
     */
    private Path tamper(Path session, String field) throws Exception {
        String text = new String(RealClientsSuite.run(List.of("openssl", "sess_id", "-in", session.toString(),
                "-text", "-noout"), ""), StandardCharsets.US_ASCII);
        StringBuilder hex = new StringBuilder();
        boolean inTicket = false;
        for (String line : text.split("\n")) {
            if (field.endsWith("PSK:") && line.trim().startsWith(field)) {
                hex.append(line.trim().substring(field.length()).trim().toLowerCase(java.util.Locale.ROOT));
                break;
            }
            if (line.contains(field)) {
                inTicket = true;
            } else if (inTicket && line.matches("\\s+[0-9a-f]{4} - .*")) {
                hex.append(line.substring(line.indexOf(" - ") + 3, Math.min(line.length(), line.indexOf(" - ") + 50))
                        .replaceAll("[^0-9a-f]", ""));
            } else if (inTicket) {
                break;
            }
        }
        byte[] ticket = HexFormat.of().parseHex(hex.toString());
        assertTrue(ticket.length >= 32, field + " in: " + text);
        Path der = dir.resolve("session.der");
        RealClientsSuite.run(List.of("openssl", "sess_id", "-in", session.toString(), "-outform", "DER", "-out",
                der.toString()), "");
        byte[] bytes = Files.readAllBytes(der);
        int at = indexOf(bytes, ticket);
        assertTrue(at >= 0, field + " is in the session's DER");
        bytes[at + ticket.length / 2] ^= 0x20; // in the ticket's ciphertext, or in the key
        Files.write(der, bytes);
        Path tampered = dir.resolve("tampered.pem");
        RealClientsSuite.run(List.of("openssl", "sess_id", "-inform", "DER", "-in", der.toString(), "-out",
                tampered.toString()), "");
        return tampered;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
