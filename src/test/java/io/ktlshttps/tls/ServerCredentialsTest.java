package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerCredentialsTest {
    @TempDir
    Path dir;

    private static X509CertificateHolder selfSign(KeyPair pair, String algorithm) throws Exception {
        X500Name name = new X500Name("CN=localhost");
        return new JcaX509v3CertificateBuilder(name, BigInteger.TEN, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plusSeconds(86_400)), name, pair.getPublic())
                .build(new JcaContentSignerBuilder(algorithm).build(pair.getPrivate()));
    }

    /**
     * Writes cert.pem and key.pem. PKCS#8 ("PRIVATE KEY") files come from BouncyCastle's
     * writer; traditional ones ("EC PRIVATE KEY", "RSA PRIVATE KEY") from the openssl
     * command line, as users make them.
     */
    private ServerCredentials write(String keyType, boolean pkcs8) throws Exception {
        Path certFile = dir.resolve("cert.pem");
        Path keyFile = dir.resolve("key.pem");
        if (!pkcs8) {
            if (keyType.equals("EC")) {
                TestCredentials.opensslEcIdentity("prime256v1", keyFile, certFile);
            } else {
                TestCredentials.openssl("genrsa", "-traditional", "-out", keyFile.toString(), "2048");
                TestCredentials.opensslSelfSigned(keyFile, certFile);
            }
            String header = Files.readString(keyFile).lines().findFirst().orElse("");
            assertEquals("-----BEGIN " + keyType + " PRIVATE KEY-----", header);
            return ServerCredentials.fromPem(certFile, keyFile);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance(keyType);
        if (keyType.equals("EC")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        KeyPair pair = generator.generateKeyPair();
        X509CertificateHolder cert = selfSign(pair, keyType.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA");
        try (Writer w = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(cert);
        }
        try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null).generate());
        }
        ServerCredentials credentials = ServerCredentials.fromPem(certFile, keyFile);
        assertArrayEquals(cert.getEncoded(), credentials.chain().get(0));
        return credentials;
    }

    /** An EC key on the named curve and its self-signed certificate, by the openssl command line. */
    private ServerCredentials writeEc(String curve) throws Exception {
        Path certFile = dir.resolve("cert.pem");
        Path keyFile = dir.resolve("key.pem");
        TestCredentials.opensslEcIdentity(curve, keyFile, certFile);
        return ServerCredentials.fromPem(certFile, keyFile);
    }

    /** The key's curve is known by its TLS name: it decides which clients can take the certificate. */
    @ParameterizedTest
    @CsvSource({"prime256v1, 23", "secp384r1, 24"})
    void anEcKeyNamesItsCurve(String curve, int namedGroup) throws Exception {
        assertEquals(namedGroup, writeEc(curve).ecGroup());
    }

    /**
     * A key on a curve we have no TLS 1.3 signature scheme for is refused at start-up with
     * the reason, not served to clients that would each refuse it.
     */
    @ParameterizedTest
    @CsvSource({"secp521r1", "secp256k1", "brainpoolP256r1"})
    void anEcKeyOnAnotherCurveIsRefusedWithTheReason(String curve) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writeEc(curve));
        assertTrue(e.getMessage().contains("unsupported curve") && e.getMessage().contains("P-256"), e.getMessage());
    }


    /** A PEM identity of each key type and encoding completes a real handshake with the JDK's client. */
    @ParameterizedTest
    @CsvSource({"EC,true,TLSv1.3", "EC,false,TLSv1.2", "RSA,true,TLSv1.3", "RSA,false,TLSv1.2", "RSA,true,TLSv1.2"})
    void pemIdentitiesHandshake(String keyType, boolean pkcs8, String protocol) throws Exception {
        ServerCredentials credentials = write(keyType, pkcs8);
        assertEquals(ServerCredentials.KeyType.valueOf(keyType), credentials.keyType());
        TlsServerConfig config = new TlsServerConfig(credentials, EnumSet.allOf(TlsVersion.class),
                EnumSet.allOf(AeadCipher.class));
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerThread<String> server = new ServerThread<>(() -> {
                 try (Socket s = listener.accept()) {
                     EstablishedTls tls = TlsHandshake.accept(s.getInputStream(), s.getOutputStream(), config);
                     UserSpaceTlsChannel channel = tls.userSpace(s);
                     channel.write("hi".getBytes(StandardCharsets.US_ASCII), 0, 2);
                     channel.close();
                     return tls.version() + " " + tls.applicationProtocol();
                 }
             });
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(credentials).getSocketFactory()
                     .createSocket("127.0.0.1", listener.getLocalPort())) {
            client.setEnabledProtocols(new String[] {protocol});
            javax.net.ssl.SSLParameters parameters = client.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"http/1.1"});
            client.setSSLParameters(parameters);
            assertEquals("hi", new String(client.getInputStream().readNBytes(2), StandardCharsets.US_ASCII));
            assertEquals(protocol + " http/1.1", server.join());
        }
    }

    @Test
    void fingerprintIsSha256OfTheLeafInOpensslFormat() throws Exception {
        ServerCredentials credentials = ServerCredentials.selfSigned();
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(credentials.chain().get(0));
        assertEquals(HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest), credentials.fingerprintSha256());
        assertEquals(95, credentials.fingerprintSha256().length());
    }

    @Test
    void missingPemBlocksAreClearErrors() throws Exception {
        Path empty = dir.resolve("empty.pem");
        Files.writeString(empty, "not a pem file\n");
        ServerCredentials good = write("EC", true);
        assertTrue(good.chain().size() == 1);
        IOException noCert = assertThrows(IOException.class, () -> ServerCredentials.fromPem(empty, dir.resolve("key.pem")));
        assertTrue(noCert.getMessage().contains("no PEM CERTIFICATE"), noCert.getMessage());
        IOException noKey = assertThrows(IOException.class, () -> ServerCredentials.fromPem(dir.resolve("cert.pem"), empty));
        assertTrue(noKey.getMessage().contains("no PEM private key"), noKey.getMessage());
    }
}
