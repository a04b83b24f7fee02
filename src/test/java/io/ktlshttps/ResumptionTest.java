package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.server.StatusPage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.bouncycastle.tls.TlsSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TLS 1.2 session resumption by session ID, through the whole server, with
 * BouncyCastle's client: when a session is resumed, and every case where it must not be.
 * A resumed connection must also carry its request and response.
 */
@ExtendWith(ServerLogWatch.class)
class ResumptionTest {
    private Path root;
    private HttpsServer server;

    @BeforeEach
    void site() throws Exception {
        root = Files.createTempDirectory("ktls-resume-");
        Files.writeString(root.resolve("a.txt"), "resumed or not\n");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    private int start(int cacheSize, Duration timeout) throws Exception {
        server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.OFF)
                .withSessionCache(cacheSize, timeout));
        return server.port();
    }

    /** One request on a new connection; returns the session it established and whether it was resumed. */
    private record Visit(TlsSession session, boolean resumed, byte[] sessionId) {
    }

    private Visit visit(int port, TestSuites suite, BcTestClient.Options options) throws Exception {
        try (BcTestClient client = BcTestClient.connect(port, suite, options)) {
            client.output().write("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(EndToEndSuite.readToClose(client.input()), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("resumed or not\n"), response);
            return new Visit(client.session(), client.securityParameters().isResumedSession(),
                    client.session().getSessionID());
        }
    }

    private Visit visit(int port, TestSuites suite, TlsSession resume) throws Exception {
        return visit(port, suite, new BcTestClient.Options().resume(resume));
    }

    @Test
    void aTls12SessionIsResumedAndCounted() throws Exception {
        int port = start(100, Duration.ofMinutes(5));
        Visit first = visit(port, TestSuites.TLS12_AES_256_GCM, (TlsSession) null);
        assertFalse(first.resumed());
        assertEquals(32, first.sessionId().length, "a 32-byte session ID");
        Visit second = visit(port, TestSuites.TLS12_AES_256_GCM, first.session());
        assertTrue(second.resumed());
        Visit third = visit(port, TestSuites.TLS12_AES_256_GCM, second.session());
        assertTrue(third.resumed(), "a resumed session can be resumed again");
        assertEquals(1, server.metrics().handshakes(false));
        assertEquals(2, server.metrics().handshakes(true));
        String status = new String(StatusPage.render(server.metrics()), StandardCharsets.UTF_8);
        assertTrue(status.contains("ktls_https_handshakes_total{kind=\"resumed\"} 2\n"), status);
        assertTrue(status.contains("ktls_https_handshakes_total{kind=\"full\"} 1\n"), status);
    }

    /** RFC 7627: a session without the extended master secret is never offered for resumption. */
    @Test
    void noSessionIdWithoutExtendedMasterSecret() throws Exception {
        int port = start(100, Duration.ofMinutes(5));
        Visit legacy = visit(port, TestSuites.TLS12_AES_128_GCM, new BcTestClient.Options().noExtendedMasterSecret());
        assertEquals(0, legacy.sessionId().length, "no session ID for a legacy client");
        assertFalse(legacy.session() != null && legacy.session().isResumable());
    }

    /**
     * A client that offers a cached session with a suite it no longer offers gets a full
     * handshake, not an alert; and the cached session survives (BouncyCastle would
     * destroy its master secret on its own fallback path).
     */
    @Test
    void aMismatchIsAFullHandshakeAndTheSessionSurvives() throws Exception {
        int port = start(100, Duration.ofMinutes(5));
        Visit first = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        // Copies: the client destroys the master secret of a session it offered in vain.
        Visit otherSuite = visit(port, TestSuites.TLS12_CHACHA20_POLY1305, BcTestClient.copyOf(first.session()));
        assertFalse(otherSuite.resumed());
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, BcTestClient.copyOf(first.session())).resumed(),
                "the cached session is still good after a suite mismatch");
        Visit tls13 = visit(port, TestSuites.TLS13_AES_128_GCM, BcTestClient.copyOf(first.session()));
        assertFalse(tls13.resumed());
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, BcTestClient.copyOf(first.session())).resumed(),
                "the cached session is still good after a TLS 1.3 client offered it");
        assertEquals(0, server.metrics().handshakeFailures.sum());
    }

    /**
     * A legacy client (no extended master secret) after a session with it: a full
     * handshake, and the session stays good for clients that have it. (BouncyCastle's
     * client does not offer the session here at all; the server's own check, which turns
     * BouncyCastle's handshake_failure into a full handshake, is for clients that do.)
     */
    @Test
    void anEmsSessionOfferedWithoutEmsIsAFullHandshake() throws Exception {
        int port = start(100, Duration.ofMinutes(5));
        Visit first = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        Visit legacy = visit(port, TestSuites.TLS12_AES_128_GCM,
                new BcTestClient.Options().resume(BcTestClient.copyOf(first.session())).noExtendedMasterSecret());
        assertFalse(legacy.resumed());
        assertEquals(0, server.metrics().handshakeFailures.sum());
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, BcTestClient.copyOf(first.session())).resumed());
    }

    @Test
    void sessionsExpire() throws Exception {
        int port = start(100, Duration.ofSeconds(2));
        Visit first = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, first.session()).resumed());
        Thread.sleep(2200);
        assertFalse(visit(port, TestSuites.TLS12_AES_128_GCM, first.session()).resumed(), "expired");
    }

    @Test
    void theOldestSessionMakesRoom() throws Exception {
        int port = start(2, Duration.ofMinutes(5));
        Visit a = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        Visit b = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        Visit c = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, b.session()).resumed());
        assertTrue(visit(port, TestSuites.TLS12_AES_128_GCM, c.session()).resumed());
        assertFalse(visit(port, TestSuites.TLS12_AES_128_GCM, a.session()).resumed(), "evicted");
    }

    @Test
    void aCacheOfZeroTurnsResumptionOff() throws Exception {
        int port = start(0, Duration.ofMinutes(5));
        Visit first = visit(port, TestSuites.TLS12_AES_128_GCM, (TlsSession) null);
        assertEquals(0, first.sessionId().length);
        assertFalse(visit(port, TestSuites.TLS12_AES_128_GCM, first.session()).resumed());
    }
}
