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

    /** Runs the openssl command line; fails with its output on a non-zero exit. */
    public static void openssl(String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl"));
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + ": exit " + p.exitValue() + ": " + output);
        }
    }

    /** A self-signed certificate for the key in keyFile, made by openssl as users make one. */
    public static void opensslSelfSigned(java.nio.file.Path keyFile, java.nio.file.Path certFile) throws Exception {
        openssl("req", "-new", "-x509", "-key", keyFile.toString(), "-subj", "/CN=localhost", "-days", "1",
                "-out", certFile.toString());
    }

    /** An EC key on the named curve (traditional "EC PRIVATE KEY" PEM) and its self-signed certificate, by openssl. */
    public static void opensslEcIdentity(String curve, java.nio.file.Path keyFile, java.nio.file.Path certFile)
            throws Exception {
        openssl("ecparam", "-name", curve, "-genkey", "-noout", "-out", keyFile.toString());
        opensslSelfSigned(keyFile, certFile);
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
