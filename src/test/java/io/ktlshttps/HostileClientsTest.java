package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad input before and during the handshake: each gets the answer nginx or the RFCs
 * give, and the server stays up to serve the next client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ServerLogWatch.class)
class HostileClientsTest {
    private HttpsServer server;
    private int port;

    @BeforeAll
    void start() throws Exception {
        Path root = Files.createTempDirectory("ktls-hostile-");
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.AUTO)
                .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3)));
        port = server.port();
    }

    @AfterAll
    void stop() {
        server.stop(Duration.ofSeconds(2));
    }

    /** After every case the server must still answer a well-behaved client. */
    private void stillServing() throws Exception {
        try (BcTestClient client = BcTestClient.connect(port, TestSuites.TLS13_AES_128_GCM)) {
            client.output().write("GET /ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.endsWith("still up\n"), response);
        }
    }

    private int alertFor(ProtocolVersion[] versions, int[] suites, String[] alpn) {
        TlsFatalAlertReceived alert = assertThrows(TlsFatalAlertReceived.class,
                () -> BcTestClient.connect(port, versions, suites, alpn).close());
        return alert.getAlertDescription();
    }

    @Test
    void plainHttpGetsAPlaintext400() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            assertTrue(response.contains("use https://"), response);
        }
        stillServing();
    }

    @Test
    void garbageAndTruncatedHellosAreDropped() throws Exception {
        byte[] garbage = new byte[300];
        new Random(1).nextBytes(garbage);
        garbage[0] = 0x16; // looks like a handshake record, then nonsense
        for (byte[] input : new byte[][] {garbage, {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00}, {0x00, 0x01}}) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(input);
                out.flush();
                s.shutdownOutput(); // a truncated hello: then end of stream
                InputStream in = s.getInputStream();
                byte[] answer = in.readAllBytes(); // an alert record or nothing, then close
                assertTrue(answer.length == 0 || answer[0] == 21, "alert record or nothing, got " + answer.length);
            }
        }
        stillServing();
    }

    @Test
    void oldProtocolVersionsGetProtocolVersion() throws Exception {
        assertEquals(AlertDescription.protocol_version, alertFor(new ProtocolVersion[] {ProtocolVersion.TLSv11},
                new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, new String[] {"http/1.1"}));
        assertEquals(AlertDescription.protocol_version, alertFor(new ProtocolVersion[] {ProtocolVersion.TLSv10},
                new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, null));
        stillServing();
    }

    @Test
    void noCommonCipherGetsHandshakeFailure() throws Exception {
        assertEquals(AlertDescription.handshake_failure, alertFor(new ProtocolVersion[] {ProtocolVersion.TLSv12},
                new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}, new String[] {"http/1.1"}));
        stillServing();
    }

    /** TLS 1.2 with only weak binary or small curves: nothing to agree on (testssl.sh once found them accepted). */
    @Test
    void weakCurvesAreNotAccepted() throws Exception {
        TlsFatalAlertReceived alert = assertThrows(TlsFatalAlertReceived.class, () -> BcTestClient.connect(port,
                new ProtocolVersion[] {ProtocolVersion.TLSv12},
                new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, new String[] {"http/1.1"},
                new int[] {org.bouncycastle.tls.NamedGroup.sect163k1, org.bouncycastle.tls.NamedGroup.secp192r1}).close());
        assertEquals(AlertDescription.handshake_failure, alert.getAlertDescription());
        stillServing();
    }

    @Test
    void h2OnlyAlpnGetsNoApplicationProtocol() throws Exception {
        assertEquals(AlertDescription.no_application_protocol, alertFor(new ProtocolVersion[] {ProtocolVersion.TLSv13},
                new int[] {CipherSuite.TLS_AES_128_GCM_SHA256}, new String[] {"h2"}));
        stillServing();
    }

    @Test
    void unknownAlpnOnlyGetsNoApplicationProtocol() throws Exception {
        assertEquals(AlertDescription.no_application_protocol, alertFor(new ProtocolVersion[] {ProtocolVersion.TLSv12},
                new int[] {CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, new String[] {"spdy/3", "h3"}));
        stillServing();
    }

    /** RFC 7301: http/1.0 is a registered ALPN name, and HTTP/1.0 is served. */
    @Test
    void alpnHttp10IsAgreedTo() throws Exception {
        for (String[] alpn : new String[][] {{"http/1.0"}, {"h2", "http/1.0"}}) {
            try (BcTestClient client = BcTestClient.connect(port, new ProtocolVersion[] {ProtocolVersion.TLSv13},
                    new int[] {CipherSuite.TLS_AES_128_GCM_SHA256}, alpn)) {
                assertEquals("http/1.0", client.securityParameters()
                        .getApplicationProtocol().getUtf8Decoding());
                client.output().write("GET /ok.txt HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String response = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.0 200 OK\r\n") && response.endsWith("still up\n"), response);
            }
        }
    }

    @Test
    void aClientThatSendsNothingIsDroppedAfterTheHandshakeTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read());
            assertTrue(System.nanoTime() - start >= Duration.ofSeconds(2).toNanos(), "dropped too early");
        }
        stillServing();
    }

    /**
     * A plain-TCP habit: send the request, then a bare FIN (no close_notify), then read.
     * The whole response comes back, then close_notify (EndToEndSuite.readToClose fails on
     * a close without one). On a kTLS host the FIN may also beat the handoff, which the
     * kernel refuses (ENOTCONN), and user space carries the connection instead.
     */
    @Test
    void aClientThatHalfClosesRightAfterItsRequestGetsTheResponseThenCloseNotify() throws Exception {
        for (TestSuites suite : new TestSuites[] {TestSuites.TLS12_CHACHA20_POLY1305, TestSuites.TLS13_AES_128_GCM}) {
            try (BcTestClient client = BcTestClient.connect(port, suite)) {
                client.output().write("GET /ok.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                String response = new String(EndToEndSuite.readToClose(client.input()), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), suite + ": " + response);
                assertTrue(response.endsWith("\r\n\r\nstill up\n"), suite + ": " + response);
            }
        }
        stillServing();
    }

    @Test
    void aClientThatAbortsMidDownloadDoesNotHurtTheServer() throws Exception {
        Path big = Path.of(server.banner().lines().filter(l -> l.startsWith("serving ")).findFirst().orElseThrow()
                .split(" ")[1]).resolve("big.bin");
        Files.write(big, new byte[8 << 20]);
        for (int i = 0; i < 5; i++) {
            BcTestClient client = BcTestClient.connect(port, TestSuites.TLS12_AES_256_GCM);
            client.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.input().readNBytes(50_000);
            client.rawOutput().close(); // RST or FIN in the middle of the body
        }
        stillServing();
    }
}
