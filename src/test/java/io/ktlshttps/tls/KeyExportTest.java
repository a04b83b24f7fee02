package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.RecordCrypto;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exported keys and sequence numbers, checked against real clients with no kernel: the
 * server decrypts the client's next record with the JDK's ciphers, and seals its own
 * record the same way for the client to read. Runs on any host.
 */
class KeyExportTest {
    private static final byte[] PING = "ping from the client".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PONG = "pong from the server".getBytes(StandardCharsets.UTF_8);

    /** What the server saw. */
    private record Seen(SessionKeys keys, byte[] decrypted, int contentType) {
    }

    private static ServerThread<Seen> serve(ServerSocket listener, TestSuites suite, int userSpaceRecords) {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher));
        return new ServerThread<>(() -> {
            try (Socket socket = listener.accept()) {
                InputStream raw = socket.getInputStream();
                EstablishedTls tls = TlsHandshake.accept(raw, socket.getOutputStream(), config);
                assertEquals(suite.version, tls.version());
                assertEquals(suite.cipher, tls.cipher());
                UserSpaceTlsChannel userSpace = tls.userSpace(socket);
                for (int i = 0; i < userSpaceRecords; i++) {
                    byte[] buffer = new byte[PING.length];
                    int n = userSpace.read(buffer, 0, buffer.length);
                    assertEquals(PING.length, n, "user-space read " + i);
                    userSpace.write(PONG, 0, PONG.length);
                }
                SessionKeys keys = tls.exportKeys();
                RecordCrypto.Opened opened = new RecordCrypto(keys.receive()).open(raw);
                socket.getOutputStream().write(new RecordCrypto(keys.transmit()).seal(23, PONG));
                return new Seen(keys, opened.plaintext(), opened.contentType());
            }
        });
    }

    private static void checkSequenceNumbers(TestSuites suite, SessionKeys keys, int userSpaceRecords) {
        // ../shared/REFERENCES.md: a TLS 1.2 full handshake leaves both counters at 1 (Finished
        // was record 0 under the new keys), TLS 1.3 leaves them at 0.
        long base = suite.version == TlsVersion.TLS_1_2 ? 1 : 0;
        assertEquals(base + userSpaceRecords, keys.receive().sequenceNumber(), "read sequence");
        assertEquals(base + userSpaceRecords, keys.transmit().sequenceNumber(), "write sequence");
    }

    @ParameterizedTest
    @EnumSource(TestSuites.class)
    void bouncyCastleClientRecordsDecryptWithExportedKeys(TestSuites suite) throws Exception {
        for (int userSpaceRecords : new int[] {0, 3}) {
            try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 ServerThread<Seen> server = serve(listener, suite, userSpaceRecords);
                 BcTestClient client = BcTestClient.connect(listener.getLocalPort(), suite)) {
                for (int i = 0; i < userSpaceRecords; i++) {
                    client.output().write(PING);
                    assertArrayEquals(PONG, client.input().readNBytes(PONG.length));
                }
                client.output().write(PING);
                byte[] reply = client.input().readNBytes(PONG.length);
                Seen seen = server.join();
                assertEquals(23, seen.contentType());
                assertArrayEquals(PING, seen.decrypted());
                assertArrayEquals(PONG, reply);
                checkSequenceNumbers(suite, seen.keys(), userSpaceRecords);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.ktlshttps.testing.TestSuites#jdkSupported")
    void jdkClientRecordsDecryptWithExportedKeys(TestSuites suite) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerThread<Seen> server = serve(listener, suite, 0);
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                     .createSocket("127.0.0.1", listener.getLocalPort())) {
            client.setEnabledProtocols(new String[] {suite.jdkProtocol()});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            client.startHandshake();
            client.getOutputStream().write(PING);
            byte[] reply = client.getInputStream().readNBytes(PONG.length);
            Seen seen = server.join();
            assertArrayEquals(PING, seen.decrypted());
            assertArrayEquals(PONG, reply);
            checkSequenceNumbers(suite, seen.keys(), 0);
        }
    }
}
