package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.KernelVersion;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.server.ServerMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS 1.3 KeyUpdate from a real client: the JDK's SSLSocket sends one (with
 * update_requested) when startHandshake() is called again. On kernels that can rekey
 * (Linux 6.14+) the server installs the next keys in both directions and the
 * conversation goes on; on older kernels it ends with internal_error, never with
 * mis-decrypted data.
 */
class KernelKeyUpdateKernelTest extends KernelServerTest {
    /** Linux 6.14 added TLS 1.3 rekeying (../shared/KERNEL-TLS-LAB.md). */
    static boolean kernelCanRekey() {
        return KernelVersion.rekeys();
    }

    static List<TestSuites> tls13() {
        return Stream.of(TestSuites.values()).filter(s -> s.version == TlsVersion.TLS_1_3 && s.jdkName != null
                && KernelTls.supports(s.version, s.cipher)).collect(Collectors.toList());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @MethodSource("tls13")
    void keyUpdateFromTheJdkClient(TestSuites suite) throws Exception {
        boolean rekeys = kernelCanRekey();
        try (ServerThread<Object> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] buffer = new byte[3];
                    assertEquals(3, channel.read(buffer, 0, 3));
                    channel.write(buffer, 0, 3, false);
                    if (!rekeys) {
                        return assertThrows(TlsAlertException.class, () -> channel.read(buffer, 0, 3));
                    }
                    assertEquals(3, channel.read(buffer, 0, 3)); // under the client's next key
                    channel.write(buffer, 0, 3, false); // under our next key
                    return channel.keyUpdates();
                }
            });
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                     .createSocket("127.0.0.1", server.port())) {
            client.setSoTimeout(30_000);
            client.setEnabledProtocols(new String[] {"TLSv1.3"});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            client.getOutputStream().write(ascii("one"));
            assertArrayEquals(ascii("one"), client.getInputStream().readNBytes(3));
            client.startHandshake(); // TLS 1.3: a KeyUpdate with update_requested
            if (rekeys) {
                client.getOutputStream().write(ascii("two"));
                assertArrayEquals(ascii("two"), client.getInputStream().readNBytes(3));
                assertEquals(1, serving.join(), "KeyUpdates followed");
            } else {
                client.getOutputStream().write(ascii("two"));
                TlsAlertException sent = (TlsAlertException) serving.join();
                assertEquals(TlsAlert.INTERNAL_ERROR, sent.description(), sent.getMessage());
            }
        }
    }

    /**
     * The whole server, and a KeyUpdate that arrives while the connection waits for its
     * next request. Readiness on a kernel TLS socket then means a control record, not a
     * request: the worker that takes it must follow the KeyUpdate (7.3) and hand the
     * connection back to the poller rather than block for a request, and the next request
     * must be served under the new keys. On a kernel that cannot rekey (6.1) the
     * connection ends instead, and is released.
     */
    @ParameterizedTest
    @MethodSource("tls13")
    void aKeyUpdateWhileIdleIsFollowedWithoutHoldingAThread(TestSuites suite) throws Exception {
        Path root = Files.createTempDirectory("ktls-idle-keyupdate-");
        Files.writeString(root.resolve("small.txt"), "small file\n");
        HttpsServer https = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.REQUIRED));
        try (SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                .createSocket("127.0.0.1", https.port())) {
            client.setSoTimeout(30_000);
            client.setEnabledProtocols(new String[] {"TLSv1.3"});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            ServerMetrics m = https.metrics();
            assertTrue(get(client).endsWith("small file\n"));
            await(() -> m.idleConnections.sum(), 1, "the connection never went back to wait");
            client.startHandshake(); // TLS 1.3: a KeyUpdate with update_requested
            if (kernelCanRekey()) {
                Thread.sleep(1000); // time for the record to arrive and be followed
                await(() -> m.idleConnections.sum(), 1, "the connection did not go back to wait after its KeyUpdate");
                assertTrue(get(client).endsWith("small file\n"), "the request after the KeyUpdate");
            } else {
                // The kernel's limit, not the client's doing: a warning for the operator.
                io.ktlshttps.testing.ServerLogWatch.expectWarning("the kernel cannot rekey RX after a KeyUpdate");
                await(() -> m.activeConnections.sum(), 0, "a connection that could not rekey was not released");
            }
            assertEquals(0, m.userSpaceConnections.sum());
        } finally {
            https.stop(Duration.ofSeconds(2));
        }
    }

    private static String get(SSLSocket client) throws IOException {
        client.getOutputStream().write(ascii("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
        InputStream in = client.getInputStream();
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("small file\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of stream after: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private static void await(LongSupplier value, long expected, String message) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (value.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, value.getAsLong(), message);
    }
}
