package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How the user-space record layer sees the end of a connection: a close_notify and a bare
 * TCP FIN both end reading, only the first counts as clean, and either way the client gets
 * our close_notify, so it knows nothing it was sent was cut off.
 */
class UserSpaceTlsChannelTest {
    private static final byte[] LAST_WORDS = "last words".getBytes(StandardCharsets.US_ASCII);

    /** What the server read: the bytes, then end of stream, and whether it was clean. */
    private record Ending(String read, boolean clean) {
    }

    /** One connection on a fresh loopback listener; the client ends it one way or the other. */
    private static Ending ending(TestSuites suite, boolean clientSendsCloseNotify) throws Exception {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher));
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerThread<Ending> server = new ServerThread<>(() -> {
                    try (Socket socket = listener.accept()) {
                        EstablishedTls tls = TlsHandshake.accept(socket.getInputStream(), socket.getOutputStream(),
                                config);
                        UserSpaceTlsChannel channel = tls.userSpace(socket);
                        byte[] buffer = new byte[64];
                        int n = channel.read(buffer, 0, buffer.length);
                        assertEquals(-1, channel.read(new byte[16], 0, 16), "end of stream after the last words");
                        channel.sendCloseNotify(); // what ServerConnection always does; a no-op if already sent
                        return new Ending(new String(buffer, 0, n, StandardCharsets.US_ASCII),
                                channel.peerClosedCleanly());
                    }
                })) {
            try (BcTestClient client = BcTestClient.connect(listener.getLocalPort(), suite)) {
                client.output().write(LAST_WORDS);
                if (clientSendsCloseNotify) {
                    client.protocol().close();
                } else {
                    client.shutdownOutput();
                    // Reads to the server's close_notify: a bare close throws TlsNoCloseNotifyException.
                    assertEquals(-1, client.input().read());
                }
            }
            return server.join();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestSuites.class, names = {"TLS12_AES_256_GCM", "TLS13_CHACHA20_POLY1305"})
    void aCloseNotifyIsACleanEnd(TestSuites suite) throws Exception {
        Ending ending = ending(suite, true);
        assertEquals("last words", ending.read());
        assertTrue(ending.clean());
    }

    @ParameterizedTest
    @EnumSource(value = TestSuites.class, names = {"TLS12_AES_256_GCM", "TLS13_CHACHA20_POLY1305"})
    void aBareFinEndsReadingIsNotCleanAndStillGetsCloseNotify(TestSuites suite) throws Exception {
        Ending ending = ending(suite, false);
        assertEquals("last words", ending.read());
        assertFalse(ending.clean());
    }
}
