package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.KernelTlsInstallException;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsChannel;
import io.ktlshttps.tls.UserSpaceTlsChannel;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ClientConnection;
import io.ktlshttps.testing.ClientKind;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.RecordCrypto;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestSuites;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.TlsNoCloseNotifyException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Receiving through the kernel, closing, alerts, and handing over in the middle of a connection. */
class KernelReceivePathKernelTest extends KernelServerTest {
    static List<Arguments> cases() {
        return ClientKind.kernelCases();
    }

    static List<Arguments> bouncyCastleAndJdk() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE, ClientKind.JDK);
    }

    static List<Arguments> bouncyCastle() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads exactly length bytes from the channel, or fails. */
    private static byte[] readFully(TlsChannel channel, int length) throws IOException {
        byte[] buffer = new byte[length];
        int done = 0;
        while (done < length) {
            int n = channel.read(buffer, done, length - done);
            if (n < 0) {
                throw new AssertionError("end of stream after " + done + " of " + length + " bytes");
            }
            done += n;
        }
        return buffer;
    }

    /**
     * client -> kernel RX -> server -> kernel TX -> client. The client writes at once, so
     * with TLS 1.3 its first record can travel with its Finished and reach the socket
     * before the keys are installed: the kernel must decrypt it.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void echoThroughKernelRxAndTx(TestSuites suite, ClientKind kind) throws Exception {
        byte[] message = new byte[40_000]; // more than two full records
        new Random(suite.ordinal()).nextBytes(message);
        try (ServerThread<Long> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] got = readFully(channel, message.length);
                    channel.write(got, 0, got.length, false);
                    return (long) got.length;
                }
            });
             ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
            client.output().write(message);
            client.output().flush();
            byte[] back = client.input().readNBytes(message.length);
            assertEquals(message.length, (long) serving.join());
            assertArrayEquals(message, back);
        }
    }

    static List<Arguments> tls12() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE).stream()
                .filter(a -> ((TestSuites) a.get()[0]).version == io.ktlshttps.net.TlsVersion.TLS_1_2)
                .collect(java.util.stream.Collectors.toList());
    }

    /**
     * An abbreviated TLS 1.2 handshake (session ID) leaves other sequence numbers than a
     * full one (the Finished messages are the first records under the new keys), and its
     * key block comes from the cached master secret: both directions through the kernel
     * prove the keys and the sequence numbers right. The echo is two full records and
     * more, each way.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("tls12")
    void aResumedSessionIsHandedToTheKernel(TestSuites suite, ClientKind kind) throws Exception {
        io.ktlshttps.tls.SessionCache sessions = new io.ktlshttps.tls.SessionCache(16, java.time.Duration.ofMinutes(1));
        org.bouncycastle.tls.TlsSession session = null;
        for (boolean resume : new boolean[] {false, true}) {
            byte[] message = new byte[40_000];
            new Random(resume ? 2 : 1).nextBytes(message);
            try (ServerThread<Boolean> serving = server.serve(suite, sessions, accepted -> {
                    try (KernelTlsChannel channel = accepted.handOff()) {
                        assertTrue(channel.kernelTx() && channel.kernelRx(), "the kernel holds both keys");
                        byte[] got = readFully(channel, message.length);
                        channel.write(got, 0, got.length, false);
                        return accepted.tls().resumed();
                    }
                });
                 BcTestClient client = BcTestClient.connect(server.port(), suite,
                         new BcTestClient.Options().resume(session))) {
                assertEquals(resume, client.securityParameters().isResumedSession(), "client's view");
                client.output().write(message);
                client.output().flush();
                byte[] back = client.input().readNBytes(message.length);
                assertEquals(resume, serving.join(), "server's view");
                assertArrayEquals(message, back);
                session = client.session();
            }
        }
    }

    /** The handoff waits until the client's data sits in the socket: TCP data from before TLS_RX. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastleAndJdk")
    void dataThatArrivedBeforeTheHandoffIsDecryptedOnce(TestSuites suite, ClientKind kind) throws Exception {
        byte[] request = ascii("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try (ServerThread<byte[]> serving = server.serve(suite, accepted -> {
                sent.get(30, TimeUnit.SECONDS);
                Thread.sleep(200); // let the record cross loopback into the receive queue
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] got = readFully(channel, request.length);
                    channel.write(got, 0, got.length, false);
                    return got;
                }
            });
             ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
            client.output().write(request);
            client.output().flush();
            sent.complete(null);
            assertArrayEquals(request, client.input().readNBytes(request.length));
            assertArrayEquals(request, serving.join());
        }
    }

    /**
     * The original's https test, made real: records go through BouncyCastle in user space
     * first, then the kernel continues with the right sequence numbers in both directions.
     * The client sends two requests back to back, so the second is still in the socket
     * (or in BouncyCastle's buffer) when the kernel takes over.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void handoverInTheMiddleOfAConnection(TestSuites suite, ClientKind kind) throws Exception {
        byte[] first = ascii("first request, read in user space\n");
        byte[] second = ascii("second request, read by the kernel\n");
        byte[] third = ascii("third request, read by the kernel\n");
        byte[] reply1 = ascii("reply one, from BouncyCastle\n");
        byte[] reply2 = ascii("reply two, from the kernel\n");
        try (ServerThread<String> serving = server.serve(suite, accepted -> {
                UserSpaceTlsChannel userSpace = accepted.tls().userSpace(accepted.socket());
                assertArrayEquals(first, readFully(userSpace, first.length));
                userSpace.write(reply1, 0, reply1.length, false);
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] rest = readFully(channel, second.length + third.length);
                    channel.write(reply2, 0, reply2.length, false);
                    return new String(rest, StandardCharsets.US_ASCII);
                }
            });
             ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
            client.output().write(first);
            client.output().flush();
            assertArrayEquals(reply1, client.input().readNBytes(reply1.length));
            client.output().write(second);
            client.output().flush();
            client.output().write(third);
            client.output().flush();
            assertArrayEquals(reply2, client.input().readNBytes(reply2.length));
            assertEquals(new String(second, StandardCharsets.US_ASCII) + new String(third, StandardCharsets.US_ASCII),
                    serving.join());
        }
    }

    /** Plaintext that BouncyCastle decrypted but nobody read yet moves to the kernel channel, in order. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastle")
    void plaintextBufferedInUserSpaceIsNotLost(TestSuites suite, ClientKind kind) throws Exception {
        byte[] both = ascii("HEAD-read-by-bc|TAIL-left-in-bc-buffer|");
        int headLength = "HEAD-read-by-bc|".length();
        byte[] after = ascii("then-the-kernel");
        try (ServerThread<String> serving = server.serve(suite, accepted -> {
                UserSpaceTlsChannel userSpace = accepted.tls().userSpace(accepted.socket());
                readFully(userSpace, headLength);
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] rest = readFully(channel, both.length - headLength + after.length);
                    channel.write(ascii("ok"), 0, 2, false);
                    return new String(rest, StandardCharsets.US_ASCII);
                }
            });
             BcTestClient client = BcTestClient.connect(server.port(), suite)) {
            client.output().write(both); // one record
            client.output().write(after);
            assertArrayEquals(ascii("ok"), client.input().readNBytes(2));
            assertEquals("TAIL-left-in-bc-buffer|then-the-kernel", serving.join());
        }
    }

    /** Our close sends close_notify through the kernel: the client sees a clean close, not a truncation. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastleAndJdk")
    void closeSendsCloseNotifyThroughTheKernel(TestSuites suite, ClientKind kind) throws Exception {
        try (ServerThread<Boolean> serving = server.serve(suite, accepted -> {
                KernelTlsChannel channel = accepted.handOff();
                channel.write(ascii("bye"), 0, 3, false);
                channel.close();
                return true;
            })) {
            if (kind == ClientKind.BOUNCY_CASTLE) {
                try (BcTestClient client = BcTestClient.connect(server.port(), suite)) {
                    assertArrayEquals(ascii("bye"), client.input().readNBytes(3));
                    // BouncyCastle returns -1 only after close_notify; a bare FIN throws TlsNoCloseNotifyException.
                    assertEquals(-1, client.input().read());
                    assertTrue(client.protocol().isClosed());
                }
            } else {
                try (ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
                    assertArrayEquals(ascii("bye"), client.input().readNBytes(3));
                    assertEquals(-1, client.input().read());
                }
            }
            assertTrue(serving.join());
        }
    }

    /**
     * The negative control for the test above: without close_notify each client detects a
     * truncation. BouncyCastle throws TlsNoCloseNotifyException; the JDK's SSLSocket throws
     * only because the tests run with com.sun.net.ssl.requireCloseNotify=true (pom.xml),
     * without which it would return -1 and the test above could not tell the two apart.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastleAndJdk")
    void abortWithoutCloseNotifyIsSeenAsTruncation(TestSuites suite, ClientKind kind) throws Exception {
        try (ServerThread<Boolean> serving = server.serve(suite, accepted -> {
                KernelTlsChannel channel = accepted.handOff();
                channel.write(ascii("cut"), 0, 3, false);
                channel.abort();
                return true;
            })) {
            if (kind == ClientKind.BOUNCY_CASTLE) {
                try (BcTestClient client = BcTestClient.connect(server.port(), suite)) {
                    assertArrayEquals(ascii("cut"), client.input().readNBytes(3));
                    assertThrows(TlsNoCloseNotifyException.class, () -> client.input().read());
                }
            } else {
                try (ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
                    assertArrayEquals(ascii("cut"), client.input().readNBytes(3));
                    assertThrows(javax.net.ssl.SSLException.class, () -> client.input().read());
                }
            }
            assertTrue(serving.join());
        }
    }

    /** The client's close_notify arrives as an alert record: a clean end of stream, no stray EIO. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastleAndJdk")
    void clientCloseNotifyIsReadAsAControlRecord(TestSuites suite, ClientKind kind) throws Exception {
        try (ServerThread<Boolean> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    channel.write(ascii("ready"), 0, 5, false);
                    assertArrayEquals(ascii("last words"), readFully(channel, 10));
                    assertEquals(-1, channel.read(new byte[16], 0, 16));
                    return channel.peerClosedCleanly();
                }
            })) {
            ClientConnection client = ClientConnection.open(kind, server.port(), suite);
            // Wait until the kernel owns the connection, so the close_notify reaches kernel RX.
            assertArrayEquals(ascii("ready"), client.input().readNBytes(5));
            client.output().write(ascii("last words"));
            client.output().flush();
            client.close(); // BouncyCastle's close() and the JDK's SSLSocket.close() send close_notify
            assertTrue(serving.join(), "the server saw close_notify");
        }
    }

    /**
     * A client that sends its request, close_notify and FIN before the handoff leaves the
     * socket half-closed, and the kernel refuses TCP_ULP (ENOTCONN). Nothing was installed,
     * so user space takes over and still reads every byte and the close_notify.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastle")
    void aClientThatClosesBeforeTheHandoffFallsBackToUserSpace(TestSuites suite, ClientKind kind) throws Exception {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        try (ServerThread<String> serving = server.serve(suite, accepted -> {
                closed.get(30, TimeUnit.SECONDS);
                Thread.sleep(200); // let the FIN arrive
                KernelTlsInstallException refused = assertThrows(KernelTlsInstallException.class, accepted::handOff);
                assertTrue(refused.fallbackPossible(), refused.getMessage());
                UserSpaceTlsChannel userSpace = accepted.tls().userSpace(accepted.socket());
                String got = new String(readFully(userSpace, 10), StandardCharsets.US_ASCII);
                assertEquals(-1, userSpace.read(new byte[16], 0, 16));
                assertTrue(userSpace.peerClosedCleanly());
                return got;
            })) {
            BcTestClient client = BcTestClient.connect(server.port(), suite);
            client.output().write(ascii("last words"));
            client.close();
            closed.complete(null);
            assertEquals("last words", serving.join());
        }
    }

    /** A fatal alert from the client, sealed with the client's real keys: reported as such, no EIO. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bouncyCastle")
    void clientFatalAlertIsReported(TestSuites suite, ClientKind kind) throws Exception {
        CompletableFuture<SessionKeys> keys = new CompletableFuture<>();
        try (ServerThread<TlsAlertException> serving = server.serve(suite, accepted -> {
                keys.complete(accepted.tls().exportKeys());
                try (KernelTlsChannel channel = accepted.handOff()) {
                    return assertThrows(TlsAlertException.class, () -> channel.read(new byte[16], 0, 16));
                }
            });
             BcTestClient client = BcTestClient.connect(server.port(), suite)) {
            RecordCrypto sealer = new RecordCrypto(keys.get(30, TimeUnit.SECONDS).receive());
            OutputStream raw = client.rawOutput();
            raw.write(sealer.seal(TlsAlert.CONTENT_TYPE, new byte[] {TlsAlert.FATAL, TlsAlert.INTERNAL_ERROR}));
            raw.flush();
            TlsAlertException alert = serving.join();
            assertTrue(alert.received());
            assertEquals(TlsAlert.INTERNAL_ERROR, alert.description());
            assertEquals(TlsAlert.FATAL, alert.level());
        }
    }
}
