package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.linux.CryptoInfo;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ClientConnection;
import io.ktlshttps.testing.ClientKind;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.KernelVersion;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestSuites;
import io.ktlshttps.testing.TlsStat;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Sending through the kernel: write, sendfile, and what the kernel itself reports. */
class KernelDataPathKernelTest extends KernelServerTest {
    /** Sizes: a multiple of 16 KiB, one that is not, and one over 1 MiB (and not a multiple either). */
    private static final int[] FILE_SIZES = {4 * 16384, 100_003, 1_500_007};

    @TempDir
    static Path files;

    static List<Arguments> cases() {
        return ClientKind.kernelCases();
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /**
     * Kernel feature versions from ../shared/KERNEL-TLS-LAB.md: what this kernel must accept,
     * and the features the probe must report, by the release alone. The server decides by the
     * probe; the tests expect by the release ({@link KernelVersion}), so a probe that says "no"
     * wrongly fails here instead of sending every test down the old-kernel branch.
     */
    @Test
    void probeAcceptsWhatThisKernelVersionOffers() {
        assertTrue(KernelTls.available(), KernelTls.unavailabilityReason());
        assertTrue(KernelTls.supports(TlsVersion.TLS_1_2, AeadCipher.AES_128_GCM));
        assertEquals(KernelVersion.capsRecords(), KernelTls.limitsRecordSize(),
                "TLS_TX_MAX_PAYLOAD_LEN (6.19+) on " + KernelTls.kernelRelease());
        assertEquals(KernelVersion.rekeys(), KernelTls.canRekey(), "TLS 1.3 rekey (6.14+) on " + KernelTls.kernelRelease());
        if (kernelAtLeast(5, 11)) {
            for (TlsVersion v : TlsVersion.values()) {
                for (AeadCipher c : AeadCipher.values()) {
                    assertTrue(KernelTls.supports(v, c), v + " " + c + " on " + KernelTls.kernelRelease());
                }
            }
        }
    }

    static List<Arguments> bouncyCastleCases() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE);
    }

    /**
     * getsockopt(TLS_TX/TLS_RX) reads back what the kernel holds, compared with the keys
     * the client derived on its own side: key, salt and IV per the crypto_info mapping
     * (TLS 1.3 GCM and CCM: salt = IV[0..3], iv = IV[4..11]; TLS 1.2 GCM: salt = the implicit
     * IV, iv = the explicit nonce, which is the sequence number; ChaCha20-Poly1305: the
     * whole IV), and rec_seq = the records each side sent under those keys so far (TLS 1.2:
     * its Finished, 1; TLS 1.3: none, 0). BouncyCastle's client is the one whose keys a test
     * can read; the other clients prove the same keys by exchanging data.
     */
    @ParameterizedTest
    @MethodSource("bouncyCastleCases")
    void installedStateReadsBack(TestSuites suite, ClientKind kind) throws Exception {
        try (ServerThread<CryptoInfo[]> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    assertTrue(channel.kernelTx() && channel.kernelRx());
                    CryptoInfo[] back = channel.readBackCryptoInfo();
                    channel.abort();
                    assertFalse(channel.kernelTx() || channel.kernelRx(), "a closed socket holds no keys");
                    return back;
                }
            });
             BcTestClient client = BcTestClient.connect(server.port(), suite)) {
            CryptoInfo[] back = serving.join();
            byte[][] km = client.keyMaterial();
            long sequence = suite.version == io.ktlshttps.net.TlsVersion.TLS_1_2 ? 1 : 0;
            assertMatches(suite, back[0], km[2], km[3], sequence, "TX (server write)");
            assertMatches(suite, back[1], km[0], km[1], sequence, "RX (client write)");
        }
    }

    private static void assertMatches(TestSuites suite, CryptoInfo info, byte[] key, byte[] iv, long sequence,
            String what) {
        byte[] recSeq = ByteBuffer.allocate(8).putLong(sequence).array();
        assertEquals(suite.version.wireValue(), info.version(), what);
        assertEquals(suite.cipher.name().replace("AES_128_GCM", "AES_GCM_128").replace("AES_256_GCM", "AES_GCM_256")
                .replace("AES_128_CCM", "AES_CCM_128"), info.cipher().name(), what);
        assertArrayEquals(key, info.key(), what + " key");
        assertArrayEquals(recSeq, info.recSeq(), what + " rec_seq");
        if (suite.cipher == io.ktlshttps.net.AeadCipher.CHACHA20_POLY1305) {
            assertArrayEquals(new byte[0], info.salt(), what + " salt");
            assertArrayEquals(iv, info.iv(), what + " iv");
        } else if (suite.version == io.ktlshttps.net.TlsVersion.TLS_1_3) {
            assertArrayEquals(java.util.Arrays.copyOfRange(iv, 0, 4), info.salt(), what + " salt");
            assertArrayEquals(java.util.Arrays.copyOfRange(iv, 4, 12), info.iv(), what + " iv");
        } else {
            assertArrayEquals(iv, info.salt(), what + " salt");
            assertArrayEquals(recSeq, info.iv(), what + " explicit nonce");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void sendThroughKernelTx(TestSuites suite, ClientKind kind) throws Exception {
        byte[] payload = random(70_001, suite.ordinal());
        try (ServerThread<Boolean> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    channel.write(payload, 0, 10, false); // a tiny record first
                    channel.write(payload, 10, payload.length - 10, false);
                    return channel.kernelTx();
                }
            });
             ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
            byte[] received = client.input().readNBytes(payload.length);
            assertTrue(serving.join());
            assertArrayEquals(payload, received);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void sendfileThroughKernelTx(TestSuites suite, ClientKind kind) throws Exception {
        for (int size : FILE_SIZES) {
            Path file = files.resolve("file-" + size + ".bin");
            if (!Files.exists(file)) {
                Files.write(file, random(size, size));
            }
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
            try (ServerThread<Long> serving = server.serve(suite, accepted -> {
                    try (KernelTlsChannel channel = accepted.handOff()) {
                        return channel.transferFrom(file, 0, size);
                    }
                });
                 ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                InputStream in = client.input();
                byte[] buffer = new byte[65536];
                long total = 0;
                while (total < size) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    digest.update(buffer, 0, n);
                    total += n;
                }
                assertEquals(size, (long) serving.join(), "bytes sendfile reported");
                assertEquals(size, total, "bytes the client received");
                assertEquals(expected, HexFormat.of().formatHex(digest.digest()), "SHA-256 of " + size + " bytes");
            }
        }
    }

    /** A partial range from the middle of a file: sendfile's offset is honoured. */
    @Test
    void sendfileFromAnOffset() throws Exception {
        TestSuites suite = TestSuites.TLS13_AES_128_GCM;
        byte[] content = random(50_000, 7);
        Path file = files.resolve("offset.bin");
        Files.write(file, content);
        try (ServerThread<Long> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    return channel.transferFrom(file, 12_345, 20_000);
                }
            });
             ClientConnection client = ClientConnection.open(ClientKind.BOUNCY_CASTLE, server.port(), suite)) {
            byte[] received = client.input().readNBytes(20_000);
            assertEquals(20_000L, serving.join());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 12_345, 32_345), received);
        }
    }

    /**
     * A response head written with MSG_MORE and a small file sent by sendfile leave in one
     * TLS record: the client side reads the raw records and opens them with the exported
     * keys.
     */
    @Test
    void headAndSmallBodyShareOneRecord() throws Exception {
        TestSuites suite = TestSuites.TLS13_AES_128_GCM;
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] body = random(1000, 3);
        Path file = files.resolve("small.bin");
        Files.write(file, body);
        java.util.concurrent.CompletableFuture<SessionKeys> keys = new java.util.concurrent.CompletableFuture<>();
        try (ServerThread<Long> serving = server.serve(suite, accepted -> {
                keys.complete(accepted.tls().exportKeys());
                try (KernelTlsChannel channel = accepted.handOff()) {
                    channel.write(head, 0, head.length, true);
                    return channel.transferFrom(file, 0, body.length);
                }
            });
             java.net.Socket raw = new java.net.Socket("127.0.0.1", server.port())) {
            io.ktlshttps.testing.BcTestClient.handshakeOn(raw, suite);
            io.ktlshttps.testing.RecordCrypto opener = new io.ktlshttps.testing.RecordCrypto(
                    keys.get(30, java.util.concurrent.TimeUnit.SECONDS).transmit());
            io.ktlshttps.testing.RecordCrypto.Opened first = opener.open(raw.getInputStream());
            assertEquals(23, first.contentType());
            byte[] expected = java.util.Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, expected, head.length, body.length);
            assertArrayEquals(expected, first.plaintext(), "head and body in the first record");
            assertEquals(1000L, serving.join());
        }
    }

    /** The kernel's own counters prove it carried the records, in both directions. */
    @Test
    void tlsStatCountersMove() throws Exception {
        TestSuites suite = TestSuites.TLS12_AES_128_GCM;
        Map<String, Long> before = TlsStat.read();
        try (ServerThread<byte[]> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] buffer = new byte[4];
                    int n = channel.read(buffer, 0, 4);
                    channel.write(buffer, 0, n, false);
                    return java.util.Arrays.copyOf(buffer, n);
                }
            });
             ClientConnection client = ClientConnection.open(ClientKind.BOUNCY_CASTLE, server.port(), suite)) {
            client.output().write("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.output().flush();
            assertArrayEquals("ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII), client.input().readNBytes(4));
            serving.join();
        }
        Map<String, Long> after = TlsStat.read();
        assertTrue(after.get("TlsTxSw") > before.get("TlsTxSw"), "TlsTxSw " + before + " -> " + after);
        assertTrue(after.get("TlsRxSw") > before.get("TlsRxSw"), "TlsRxSw " + before + " -> " + after);
    }
}
