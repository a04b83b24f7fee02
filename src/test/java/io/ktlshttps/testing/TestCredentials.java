package io.ktlshttps.testing;

import io.ktlshttps.tls.ServerCredentials;
import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** One self-signed ECDSA identity for the whole test run, and a JDK SSLContext that trusts it. */
public final class TestCredentials {
    private static final ServerCredentials EC = ServerCredentials.selfSigned();

    private TestCredentials() {
    }

    public static ServerCredentials ec() {
        return EC;
    }

    /**
     * Writes the test certificate as PEM, for clients that take a CA file (curl, wget,
     * openssl, gnutls-cli, Python). Put it in a dotfile under a served root: never served.
     */
    public static java.nio.file.Path writeCertificatePem(java.nio.file.Path file) throws java.io.IOException {
        String pem = "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64,
                "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(EC.chain().get(0))
                + "\n-----END CERTIFICATE-----\n";
        return java.nio.file.Files.writeString(file, pem);
    }

    public static SSLContext trustingContext(ServerCredentials credentials) throws Exception {
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(credentials.chain().get(0)));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
