package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.SignatureScheme;
import org.bouncycastle.tls.TlsFatalAlert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Handshake signatures by the native provider (AWS-LC through ACCP): where it loads, what
 * it signs verifies with the JDK's own verifier and with BouncyCastle's TLS client; with
 * --native-crypto off, or an RSA key, BouncyCastle signs. On x86-64 Linux in CI the
 * provider must load: a fallback there would silently measure the slow path.
 */
class NativeSignaturesTest {
    private static final boolean X86_64 = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));

    @Test
    void theNativeProviderLoadsOnX8664Linux() {
        NativeSignatures probed = NativeSignatures.probe();
        System.out.println("native signatures: " + probed.describe());
        if (X86_64) {
            assertNotNull(probed.provider(), probed.describe());
            assertTrue(probed.describe().startsWith("AWS-LC"), probed.describe());
        } else {
            assertTrue(probed.describe().startsWith("AWS-LC") || probed.describe().startsWith("BouncyCastle"));
        }
    }

    @ParameterizedTest
    @CsvSource({"prime256v1, 32, 1027", "secp384r1, 48, 1283"})
    void signaturesVerifyWithTheJdk(String curve, int hashLength, int scheme, @TempDir Path dir) throws Exception {
        ServerCredentials credentials = ecCredentials(dir, curve).signingWith(NativeSignatures.probe());
        if (credentials.nativeSigner() == null) {
            assertFalse(X86_64, credentials.signer());
            return;
        }
        assertEquals("native", credentials.signerLabel());
        byte[] hash = MessageDigest.getInstance(hashLength == 32 ? "SHA-256" : "SHA-384")
                .digest("server key exchange".getBytes(StandardCharsets.US_ASCII));
        SignatureAndHashAlgorithm algorithm = SignatureScheme.getSignatureAndHashAlgorithm(scheme);
        byte[] signature = credentials.nativeSigner().generateRawSignature(algorithm, hash);
        PublicKey key = leaf(credentials).getPublicKey();
        Signature verifier = Signature.getInstance("NONEwithECDSA", "SunEC");
        verifier.initVerify(key);
        verifier.update(hash);
        assertTrue(verifier.verify(signature), "SunEC verifies the native signature");
        hash[0] ^= 1;
        verifier.initVerify(key);
        verifier.update(hash);
        assertFalse(verifier.verify(signature), "and rejects it over another hash");
    }

    @Test
    void refusesANonEcdsaScheme() throws Exception {
        ServerCredentials credentials = TestCredentials.ec().signingWith(NativeSignatures.probe());
        if (credentials.nativeSigner() == null) {
            assertFalse(X86_64, credentials.signer());
            return;
        }
        assertThrows(TlsFatalAlert.class, () -> credentials.nativeSigner().generateRawSignature(
                SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, new byte[32]));
        assertThrows(TlsFatalAlert.class, () -> credentials.nativeSigner().generateRawSignature(null, new byte[32]));
    }

    @Test
    void offMeansBouncyCastle() {
        ServerCredentials credentials = TestCredentials.ec().signingWith(NativeSignatures.off());
        assertEquals("bouncycastle", credentials.signerLabel());
        assertTrue(credentials.signer().contains("--native-crypto off"), credentials.signer());
    }

    /** Through the server: BouncyCastle's TLS client checks the ServerKeyExchange or CertificateVerify signature. */
    @ParameterizedTest
    @CsvSource({"true, TLS12_AES_256_GCM", "true, TLS13_AES_256_GCM", "false, TLS12_AES_256_GCM",
            "false, TLS13_AES_256_GCM"})
    void handshakesCarryTheSignatures(boolean nativeCrypto, TestSuites suite, @TempDir Path root) throws Exception {
        Files.writeString(root.resolve("a.txt"), "signed\n");
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.OFF)
                .withNativeCrypto(nativeCrypto).withSessionCache(0, Duration.ofMinutes(1)));
        try {
            for (int i = 0; i < 3; i++) {
                try (BcTestClient client = BcTestClient.connect(server.port(), suite, new BcTestClient.Options())) {
                    client.output().write("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    String response = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
                    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("signed\n"), response);
                }
            }
            String expected = nativeCrypto && X86_64 ? "native" : "bouncycastle";
            assertEquals(expected, server.metrics().signer);
            assertTrue(server.banner().contains("handshake signatures: " + (expected.equals("native") ? "AWS-LC"
                    : "BouncyCastle")), server.banner());
            assertEquals(3, server.metrics().handshakes(false));
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void anRsaKeyStaysInBouncyCastle(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("rsa.key");
        Path cert = dir.resolve("rsa.crt");
        TestCredentials.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-subj", "/CN=localhost", "-days", "1");
        ServerCredentials credentials = ServerCredentials.fromPem(cert, key).signingWith(NativeSignatures.probe());
        assertEquals("bouncycastle", credentials.signerLabel());
        if (X86_64) {
            assertTrue(credentials.signer().contains("EC keys only"), credentials.signer());
        }
    }

    private static ServerCredentials ecCredentials(Path dir, String curve) throws Exception {
        Path key = dir.resolve(curve + ".key");
        Path cert = dir.resolve(curve + ".crt");
        TestCredentials.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + curve, "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-subj", "/CN=localhost", "-days", "1");
        return ServerCredentials.fromPem(cert, key);
    }

    private static X509Certificate leaf(ServerCredentials credentials) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(credentials.chain().get(0)));
    }

}
