package io.ktlshttps.tls;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCertificate;

/** The server's certificate chain and private key: from PEM files, or generated self-signed. */
public final class ServerCredentials {
    /** The key types a TLS 1.2 ECDHE suite and a TLS 1.3 signature can use. */
    public enum KeyType { EC, RSA }

    private final List<byte[]> chain;
    private final AsymmetricKeyParameter privateKey;
    private final KeyType keyType;
    /** The EC key's curve as a TLS NamedGroup (secp256r1, secp384r1), -1 for RSA. */
    private final int ecGroup;
    /** The EC key in the native provider, with it; null: BouncyCastle signs. */
    private final JcaEcdsaSigner nativeSigner;
    private final NativeSignatures signatures;
    /**
     * The chain as BouncyCastle's Certificate messages, parsed once rather than for every
     * handshake: TLS 1.2's, and TLS 1.3's (entries with an empty request context). Immutable,
     * shared by all connections.
     */
    private final Certificate tls12Certificate;
    private final Certificate tls13Certificate;
    /** The leaf's notAfter: what a renewal that did not happen shows first. */
    private final Instant notAfter;

    private ServerCredentials(List<byte[]> chain, AsymmetricKeyParameter privateKey) {
        this(chain, privateKey, null, NativeSignatures.off());
    }

    private ServerCredentials(List<byte[]> chain, AsymmetricKeyParameter privateKey, JcaEcdsaSigner nativeSigner,
            NativeSignatures signatures) {
        this.nativeSigner = nativeSigner;
        this.signatures = signatures;
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate");
        }
        if (!privateKey.isPrivate()) {
            throw new IllegalArgumentException("not a private key");
        }
        this.chain = List.copyOf(chain);
        this.privateKey = privateKey;
        TlsCertificate[] parsed = new TlsCertificate[chain.size()];
        CertificateEntry[] entries = new CertificateEntry[chain.size()];
        for (int i = 0; i < parsed.length; i++) {
            try {
                parsed[i] = new BcTlsCertificate(TlsHandshake.SHARED_CRYPTO, this.chain.get(i));
            } catch (IOException e) {
                throw new IllegalArgumentException("certificate " + (i + 1) + " of the chain does not parse: "
                        + e.getMessage(), e);
            }
            entries[i] = new CertificateEntry(parsed[i], null);
        }
        this.notAfter = notAfterOf(this.chain.get(0));
        this.tls12Certificate = new Certificate(parsed);
        this.tls13Certificate = new Certificate(TlsUtils.EMPTY_BYTES, entries);
        if (privateKey instanceof ECPrivateKeyParameters) {
            this.keyType = KeyType.EC;
            this.ecGroup = namedGroupOf((ECPrivateKeyParameters) privateKey);
        } else if (privateKey instanceof RSAKeyParameters) {
            this.keyType = KeyType.RSA;
            this.ecGroup = -1;
        } else {
            throw new IllegalArgumentException("unsupported key type " + privateKey.getClass().getSimpleName()
                    + "; use an EC (P-256, P-384) or RSA key");
        }
        requireKeyOfLeaf(this.chain.get(0), privateKey);
    }

    /**
     * The private key must be the leaf certificate's: a key left from another certificate (a
     * renewal caught half-written, files swapped) would make every handshake fail at the
     * client, so it is refused here, at start-up and on reload, in one line.
     */
    private static void requireKeyOfLeaf(byte[] leaf, AsymmetricKeyParameter privateKey) {
        AsymmetricKeyParameter publicKey;
        try {
            publicKey = PublicKeyFactory.createKey(new X509CertificateHolder(leaf).getSubjectPublicKeyInfo());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the certificate's public key does not parse: " + e.getMessage(), e);
        }
        boolean matches;
        if (privateKey instanceof ECPrivateKeyParameters ec && publicKey instanceof ECPublicKeyParameters pub) {
            ECPoint q = ec.getParameters().getG().multiply(ec.getD()).normalize();
            matches = Arrays.equals(q.getEncoded(false), pub.getQ().getEncoded(false));
        } else if (privateKey instanceof RSAKeyParameters rsa && publicKey instanceof RSAKeyParameters pub) {
            matches = rsa.getModulus().equals(pub.getModulus());
        } else {
            matches = false;
        }
        if (!matches) {
            throw new IllegalArgumentException("the private key does not belong to the first certificate of the chain");
        }
    }

    private static Instant notAfterOf(byte[] leaf) {
        try {
            return new X509CertificateHolder(leaf).getNotAfter().toInstant();
        } catch (IOException e) {
            throw new IllegalArgumentException("certificate 1 of the chain does not parse: " + e.getMessage(), e);
        }
    }

    /**
     * The curve of an EC key, among those TLS 1.3 has a signature scheme for that we offer
     * (SignatureChoice): any other curve (P-521, secp256k1, brainpool) is refused here,
     * at start-up, rather than by clients in every handshake.
     */
    private static int namedGroupOf(ECPrivateKeyParameters key) {
        ECCurve curve = key.getParameters().getCurve();
        for (int group : new int[] {NamedGroup.secp256r1, NamedGroup.secp384r1}) {
            if (ECNamedCurveTable.getByName(NamedGroup.getCurveName(group)).getCurve().equals(curve)) {
                return group;
            }
        }
        throw new IllegalArgumentException("the EC key is on an unsupported curve (" + curve.getFieldSize()
                + "-bit field); use P-256 or P-384, or an RSA key");
    }

    /**
     * Loads a PEM certificate file (the leaf first, then any intermediates) and a PEM
     * private key (PKCS#8 "PRIVATE KEY", or "EC PRIVATE KEY" / "RSA PRIVATE KEY").
     */
    public static ServerCredentials fromPem(Path certificateFile, Path keyFile) throws IOException {
        List<byte[]> chain = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(certificateFile, StandardCharsets.US_ASCII);
             PEMParser pem = new PEMParser(r)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof X509CertificateHolder) {
                    chain.add(((X509CertificateHolder) o).getEncoded());
                }
            }
        }
        if (chain.isEmpty()) {
            throw new IOException(certificateFile + ": no PEM CERTIFICATE block found");
        }
        return new ServerCredentials(chain, readPrivateKey(keyFile));
    }

    private static AsymmetricKeyParameter readPrivateKey(Path keyFile) throws IOException {
        try (Reader r = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII);
             PEMParser pem = new PEMParser(r)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof PEMKeyPair) {
                    return PrivateKeyFactory.createKey(((PEMKeyPair) o).getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo) {
                    return PrivateKeyFactory.createKey((PrivateKeyInfo) o);
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IOException(keyFile + ": encrypted private keys are not supported;"
                            + " decrypt it first (openssl pkey -in KEY -out PLAIN)");
                }
            }
        }
        throw new IOException(keyFile + ": no PEM private key found");
    }

    /**
     * A fresh ECDSA P-256 key and a self-signed certificate valid for a year, naming
     * localhost, 127.0.0.1 and ::1 in its subjectAltName. Made in memory.
     */
    public static ServerCredentials selfSigned() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=localhost,O=ktls-https self-signed");
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(365))), subject, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1")
            }));
            X509CertificateHolder certificate = builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            return new ServerCredentials(List.of(certificate.getEncoded()),
                    PrivateKeyFactory.createKey(pair.getPrivate().getEncoded()));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate", e);
        }
    }

    /** DER encodings, leaf first. */
    public List<byte[]> chain() {
        List<byte[]> copy = new ArrayList<>();
        chain.forEach(c -> copy.add(c.clone()));
        return copy;
    }

    /** The chain as the Certificate message of this TLS version, parsed once. */
    Certificate certificateMessage(boolean tls13) {
        return tls13 ? tls13Certificate : tls12Certificate;
    }

    public KeyType keyType() {
        return keyType;
    }

    /** The EC key's curve as a TLS NamedGroup (secp256r1, secp384r1); -1 for an RSA key. */
    int ecGroup() {
        return ecGroup;
    }

    AsymmetricKeyParameter privateKey() {
        return privateKey;
    }

    /**
     * These credentials, signing with the native provider where {@code signatures} has one
     * and the key is EC; RSA keys stay in BouncyCastle (the provider's RSA is not wired).
     */
    public ServerCredentials signingWith(NativeSignatures signatures) {
        if (signatures.provider() == null || keyType != KeyType.EC) {
            return new ServerCredentials(chain, privateKey, null, signatures);
        }
        try {
            byte[] pkcs8 = org.bouncycastle.crypto.util.PrivateKeyInfoFactory.createPrivateKeyInfo(privateKey)
                    .getEncoded();
            java.security.PrivateKey key = java.security.KeyFactory.getInstance("EC", signatures.provider())
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
            return new ServerCredentials(chain, privateKey, new JcaEcdsaSigner(signatures.provider(), key), signatures);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return new ServerCredentials(chain, privateKey, null, NativeSignatures.unavailableFor(
                    "the native provider does not take this key: " + e));
        }
    }

    /** The native ECDSA signer, or null where BouncyCastle signs. */
    JcaEcdsaSigner nativeSigner() {
        return nativeSigner;
    }

    /** Who makes the handshake's signatures, for the banner and /server-status. */
    public String signer() {
        if (nativeSigner == null && signatures.provider() != null) {
            return "BouncyCastle (pure Java; the native provider is wired for EC keys only)";
        }
        return signatures.describe();
    }

    /** "native" or "bouncycastle". */
    public String signerLabel() {
        return nativeSigner == null ? "bouncycastle" : "native";
    }

    /** The leaf certificate's notAfter. */
    public Instant notAfter() {
        return notAfter;
    }

    /** Who signs for these credentials, for credentials that replace them ({@link ServingCredentials}). */
    NativeSignatures signatures() {
        return signatures;
    }

    /** SHA-256 of the leaf certificate's DER, as colon-separated upper-case hex (as openssl prints it). */
    public String fingerprintSha256() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(chain.get(0));
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
