package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.ClientKind;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.RecordCrypto;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestSuites;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile records after the handoff, crafted with the client's real keys and written
 * raw: the kernel's verdict (EBADMSG, EMSGSIZE, a handshake record) must become the
 * right alert, sent through the kernel and readable by the client.
 */
class KernelHostileRecordsKernelTest extends KernelServerTest {
    static List<Arguments> suites() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE);
    }

    /** A raw client after a BouncyCastle handshake, with the keys of both directions. */
    private record Raw(Socket socket, RecordCrypto client, RecordCrypto server,
            io.ktlshttps.testing.BcTestClient.KeyUpdates updates) implements AutoCloseable {
        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }

        void send(byte[] record) throws Exception {
            OutputStream out = socket.getOutputStream();
            out.write(record);
            out.flush();
        }

        /** The next record from the server, decrypted with the server's keys. */
        RecordCrypto.Opened next() throws Exception {
            return server.open(socket.getInputStream());
        }
    }

    private static Raw connect(TestSuites suite, CompletableFuture<SessionKeys> keys) throws Exception {
        Socket socket = new Socket("127.0.0.1", server.port());
        io.ktlshttps.testing.BcTestClient.KeyUpdates updates = io.ktlshttps.testing.BcTestClient.handshakeOn(socket,
                suite);
        SessionKeys k = keys.get(30, TimeUnit.SECONDS);
        return new Raw(socket, new RecordCrypto(k.receive()), new RecordCrypto(k.transmit()), updates);
    }

    private static ServerThread<TlsAlertException> expectFailure(TestSuites suite, CompletableFuture<SessionKeys> keys) {
        return server.serve(suite, accepted -> {
            keys.complete(accepted.tls().exportKeys());
            try (KernelTlsChannel channel = accepted.handOff()) {
                return assertThrows(TlsAlertException.class, () -> {
                    while (channel.read(new byte[20_000], 0, 20_000) >= 0) {
                        continue;
                    }
                });
            }
        });
    }

    /** The server's side: it sent the alert without error. */
    private static void assertSent(TlsAlertException sent, int description) {
        assertFalse(sent.received());
        assertEquals(description, sent.description());
        assertEquals(0, sent.getSuppressed().length, () -> "the alert could not be sent: "
                + java.util.Arrays.toString(sent.getSuppressed()));
    }

    private static void assertAlert(RecordCrypto.Opened record, int description) {
        assertEquals(TlsAlert.CONTENT_TYPE, record.contentType(), "an alert record");
        assertArrayEquals(new byte[] {TlsAlert.FATAL, (byte) description}, record.plaintext());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void corruptedCiphertextGetsBadRecordMac(TestSuites suite, ClientKind kind) throws Exception {
        CompletableFuture<SessionKeys> keys = new CompletableFuture<>();
        try (ServerThread<TlsAlertException> serving = expectFailure(suite, keys)) {
            try (Raw raw = connect(suite, keys)) {
                byte[] record = raw.client().seal(23, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                record[record.length - 3] ^= 0x40; // inside the tag
                raw.send(record);
                assertSent(serving.join(), TlsAlert.BAD_RECORD_MAC);
                assertAlert(raw.next(), TlsAlert.BAD_RECORD_MAC);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void oversizedRecordGetsRecordOverflow(TestSuites suite, ClientKind kind) throws Exception {
        CompletableFuture<SessionKeys> keys = new CompletableFuture<>();
        try (ServerThread<TlsAlertException> serving = expectFailure(suite, keys)) {
            try (Raw raw = connect(suite, keys)) {
                // RFC 8446 section 5.2: a ciphertext longer than 2^14 + 256 is a record_overflow.
                int length = (1 << 14) + 2048 + 1;
                byte[] record = new byte[5 + length];
                record[0] = 23;
                record[1] = 3;
                record[2] = 3;
                record[3] = (byte) (length >> 8);
                record[4] = (byte) length;
                raw.send(record);
                assertSent(serving.join(), TlsAlert.RECORD_OVERFLOW);
                assertAlert(raw.next(), TlsAlert.RECORD_OVERFLOW);
            }
        }
    }

    /**
     * TLS 1.2: a renegotiation attempt gets a no_renegotiation warning, and the connection
     * goes on. TLS 1.3: a KeyUpdate the kernel cannot follow (before 6.14) ends with
     * internal_error; on a kernel that rekeys, a record still sealed with the old key
     * after the KeyUpdate is a bad_record_mac, which proves the key changed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void handshakeMessagesAfterTheHandoff(TestSuites suite, ClientKind kind) throws Exception {
        CompletableFuture<SessionKeys> keys = new CompletableFuture<>();
        boolean tls12 = suite.version == TlsVersion.TLS_1_2;
        try (ServerThread<Object> serving = server.serve(suite, accepted -> {
                keys.complete(accepted.tls().exportKeys());
                try (KernelTlsChannel channel = accepted.handOff()) {
                    if (!tls12) {
                        if (KernelKeyUpdateKernelTest.kernelCanRekey()) {
                            byte[] got = new byte[64];
                            int n = channel.read(got, 0, 64); // the record under the client's next key
                            channel.write(got, 0, n, false);
                        }
                        return assertThrows(TlsAlertException.class, () -> channel.read(new byte[64], 0, 64));
                    }

                    byte[] buffer = new byte[5];
                    int n = channel.read(buffer, 0, 5);
                    channel.write(buffer, 0, n, false);
                    return channel.declinedRenegotiations();
                }
            })) {
            try (Raw raw = connect(suite, keys)) {
                // TLS 1.2: a (truncated, never parsed) ClientHello; TLS 1.3: KeyUpdate, update_not_requested.
                byte[] message = tls12 ? new byte[] {1, 0, 0, 2, 3, 3} : new byte[] {24, 0, 0, 1, 0};
                raw.send(raw.client().seal(TlsAlert.HANDSHAKE_CONTENT_TYPE, message));
                if (tls12) {
                    RecordCrypto.Opened warning = raw.next();
                    assertEquals(TlsAlert.CONTENT_TYPE, warning.contentType());
                    assertArrayEquals(new byte[] {TlsAlert.WARNING, (byte) TlsAlert.NO_RENEGOTIATION},
                            warning.plaintext());
                    raw.send(raw.client().seal(23, "hello".getBytes(StandardCharsets.US_ASCII)));
                    RecordCrypto.Opened echo = raw.next();
                    assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), echo.plaintext());
                    assertEquals(1, serving.join());
                } else if (!KernelKeyUpdateKernelTest.kernelCanRekey()) {
                    assertSent((TlsAlertException) serving.join(), TlsAlert.INTERNAL_ERROR);
                    assertAlert(raw.next(), TlsAlert.INTERNAL_ERROR);
                } else {
                    // Under the client's next key (derived from its own traffic secret) the
                    // server reads on and answers; then a record under the old key is a
                    // bad_record_mac. Both together prove the kernel switched to the right key.
                    RecordCrypto next = new RecordCrypto(raw.updates().nextClientKeys());
                    raw.send(next.seal(23, "new key".getBytes(StandardCharsets.US_ASCII)));
                    assertArrayEquals("new key".getBytes(StandardCharsets.US_ASCII), raw.next().plaintext(),
                            "echoed after the KeyUpdate");
                    raw.send(raw.client().seal(23, "old key".getBytes(StandardCharsets.US_ASCII)));
                    assertSent((TlsAlertException) serving.join(), TlsAlert.BAD_RECORD_MAC);
                }
            }
        }
    }
}
