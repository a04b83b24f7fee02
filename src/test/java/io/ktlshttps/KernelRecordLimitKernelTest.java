package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.linux.CryptoInfo;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.KernelVersion;
import io.ktlshttps.testing.ClientConnection;
import io.ktlshttps.testing.ClientKind;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The AEAD record limit (RFC 8446 section 5.5) on the kernel path, with the limit set
 * very low so a test crosses it. TLS 1.3 on a kernel that can rekey (6.14+): we send a
 * KeyUpdate and install the next TX key, and the client reads on under it. Otherwise
 * (TLS 1.2, or an older kernel) the key is marked exhausted and the server ends the
 * connection after the response, so no key ever carries many more records than the limit.
 */
class KernelRecordLimitKernelTest extends KernelServerTest {
    /** Records under one key before the limit acts, in these tests. */
    static final int LIMIT = 8;

    static List<Arguments> cases() {
        return ClientKind.kernelCases(ClientKind.BOUNCY_CASTLE, ClientKind.JDK, ClientKind.OPENSSL).stream()
                .filter(a -> ((TestSuites) a.get()[0]).cipher == io.ktlshttps.net.AeadCipher.AES_128_GCM
                        || ((TestSuites) a.get()[0]).cipher == io.ktlshttps.net.AeadCipher.CHACHA20_POLY1305)
                .collect(Collectors.toList());
    }

    static boolean rekeys(TestSuites suite) {
        return suite.version == TlsVersion.TLS_1_3 && KernelVersion.rekeys();
    }

    /**
     * 20 full records written one at a time, then 300 KB by sendfile (about 19 more): the
     * client must read all of it, under the keys the server switched to.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aKeyIsRetiredAtItsRecordLimit(TestSuites suite, ClientKind kind) throws Exception {
        byte[] records = new byte[20 * 16384];
        new Random(3).nextBytes(records);
        Path file = Files.createTempFile("ktls-limit-", ".bin");
        byte[] fileData = new byte[300_000];
        new Random(4).nextBytes(fileData);
        Files.write(file, fileData);
        try (ServerThread<long[]> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    channel.rekeyAfter(LIMIT);
                    for (int i = 0; i < 20; i++) {
                        channel.write(records, i * 16384, 16384, false);
                    }
                    assertEquals(fileData.length, channel.transferFrom(file, 0, fileData.length));
                    CryptoInfo tx = channel.readBackCryptoInfo()[0];
                    long sequence = tx.recordSequence();
                    tx.destroy();
                    boolean exhausted = channel.keyExhausted();
                    byte[] done = new byte[1];
                    assertEquals(1, channel.read(done, 0, 1)); // the client has read it all
                    return new long[] {channel.proactiveRekeys(), sequence, exhausted ? 1 : 0};
                }
            });
             ClientConnection client = ClientConnection.open(kind, server.port(), suite)) {
            assertArrayEquals(records, client.input().readNBytes(records.length), "the records");
            assertArrayEquals(fileData, client.input().readNBytes(fileData.length), "the file");
            client.output().write('k');
            client.output().flush();
            long[] result = serving.join();
            if (rekeys(suite)) {
                assertTrue(result[0] >= 4, "KeyUpdates sent: " + result[0]);
                assertTrue(result[1] <= LIMIT, "records under the current key: " + result[1]);
                assertEquals(0, result[2]);
            } else {
                assertEquals(0, result[0]);
                assertEquals(1, result[2], "the key is marked exhausted");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Through the whole server: curl downloads a 1 MiB file twice, asking for keep-alive,
     * with a limit of 8 records. Where TLS 1.3 can rekey, one connection carries both and
     * the server counts its KeyUpdates; elsewhere the first response ends the connection
     * and curl opens a second one. Both downloads are checked by SHA-256.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("curlSuites")
    void theServerRetiresKeysUnderARealClient(TestSuites suite) throws Exception {
        Path www = Files.createTempDirectory("ktls-limit-www-");
        byte[] big = new byte[1 << 20];
        new Random(5).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
        Path cert = www.resolve(".cert.pem");
        TestCredentials.writeCertificatePem(cert);
        HttpsServer https = HttpsServer.start(ServerConfig.forTest(www, TestCredentials.ec(), KtlsMode.REQUIRED)
                .withRekeyAfterRecords(LIMIT));
        try {
            String url = "https://localhost:" + https.port() + "/big.bin";
            List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "--fail", "--cacert",
                    cert.toString(), "-w", "[%{num_connects}]"));
            if (suite.version == TlsVersion.TLS_1_3) {
                command.addAll(List.of("--tlsv1.3", "--tls13-ciphers", suite.opensslName));
            } else {
                command.addAll(List.of("--tlsv1.2", "--tls-max", "1.2", "--ciphers", suite.opensslName));
            }
            command.addAll(List.of(url, url));
            byte[] out = RealClientsSuite.run(command, "");
            String expectTail = rekeys(suite) ? "[0]" : "[1]";
            String firstTail = "[1]";
            assertEquals(2 * big.length + firstTail.length() + expectTail.length(), out.length);
            String sha = EndToEndSuite.sha256(big);
            assertEquals(sha, EndToEndSuite.sha256(java.util.Arrays.copyOfRange(out, 0, big.length)));
            int second = big.length + firstTail.length();
            assertEquals(sha, EndToEndSuite.sha256(java.util.Arrays.copyOfRange(out, second, second + big.length)));
            assertEquals(firstTail, new String(out, big.length, firstTail.length(), StandardCharsets.US_ASCII));
            assertEquals(expectTail, new String(out, out.length - expectTail.length(), expectTail.length(),
                    StandardCharsets.US_ASCII), rekeys(suite) ? "one connection for both" : "a new connection");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (https.metrics().activeConnections.sum() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            long rekeyed = https.metrics().proactiveRekeys.sum();
            if (rekeys(suite)) {
                // 128 records or more, at most LIMIT under each key.
                assertTrue(rekeyed >= 2 * (big.length / 16384) / (LIMIT + 1), "KeyUpdates: " + rekeyed);
            } else {
                assertFalse(rekeyed > 0, "no KeyUpdate where none can be sent");
            }
            assertEquals(0, https.metrics().userSpaceConnections.sum());
        } finally {
            https.stop(Duration.ofSeconds(2));
        }
    }

    static List<TestSuites> curlSuites() {
        return List.of(TestSuites.TLS13_AES_128_GCM, TestSuites.TLS12_AES_256_GCM).stream()
                .filter(s -> KernelTls.supports(s.version, s.cipher)).collect(Collectors.toList());
    }
}
