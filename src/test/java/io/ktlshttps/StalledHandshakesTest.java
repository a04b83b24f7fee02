package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that send a ClientHello, take the server's first flight and then say nothing
 * more hold no thread: between the client's flights a handshake waits in its event
 * loop's epoll set (HandshakeDriver). With two loops and forty such clients, a newcomer is
 * served at once; with a handshake that blocked its worker on the client's second flight,
 * it waited for the handshake timeout.
 */
@ExtendWith(ServerLogWatch.class)
class StalledHandshakesTest {
    private static final int STALLED = 40;

    /** A real TLS 1.3 ClientHello, from the JDK's SSLEngine. */
    private static byte[] clientHello() throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }

    @Test
    void clientsStalledMidHandshakeHoldNoThread(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.OFF)
                .withLoops(2).withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60)));
        List<Socket> stalled = new ArrayList<>();
        try {
            byte[] hello = clientHello();
            for (int i = 0; i < STALLED; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                s.setSoTimeout(10_000);
                stalled.add(s);
                s.getOutputStream().write(hello);
                byte[] flight = new byte[5];
                assertEquals(5, s.getInputStream().readNBytes(flight, 0, 5), "the server's first flight");
                assertEquals(22, flight[0], "a handshake record (ServerHello)");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.metrics().idleConnections.sum() < STALLED && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(STALLED, server.metrics().idleConnections.sum(), "stalled handshakes wait in epoll");
            assertEquals(STALLED, server.metrics().activeConnections.sum());
            // A newcomer, whose reads time out after 30 s (BcTestClient): half the handshake timeout.
            try (BcTestClient client = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM)) {
                client.output().write("GET /ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.endsWith("still up\n"), response);
            }
        } finally {
            for (Socket s : stalled) {
                closeQuietly(s);
            }
            server.stop(Duration.ofSeconds(2));
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the test is over
        }
    }
}
