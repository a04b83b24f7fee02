package io.ktlshttps.tls;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * Native ECDSA for the handshake's signature, where it is available: AWS-LC through
 * AmazonCorrettoCryptoProvider (ACCP), whose x86-64 Linux library ships in the jar's lib/.
 * Measured on the development machine (docs/benchmarks/crypto-providers.md): one P-256
 * signature takes 17 µs there against 104 µs in BouncyCastle's lightweight EC and 680 µs
 * in the JDK's SunEC. ACCP 2.5.0 has no X25519, so key exchange stays in BouncyCastle (112
 * µs for key generation and agreement; SunEC 378 µs).
 *
 * <p>The provider is used by reference, never installed JVM-wide. Where its library does
 * not load (another architecture, a noexec temporary directory) or fails a sign-and-verify
 * check against the JDK's own verifier, signatures stay in BouncyCastle, and {@link
 * #describe()} says why.
 */
public final class NativeSignatures {
    private final Provider provider;
    private final String description;

    private NativeSignatures(Provider provider, String description) {
        this.provider = provider;
        this.description = description;
    }

    /** BouncyCastle only, by choice. */
    public static NativeSignatures off() {
        return new NativeSignatures(null, "BouncyCastle (pure Java; --native-crypto off)");
    }

    /** ACCP where it loads and signs correctly here, else BouncyCastle with the reason. */
    public static NativeSignatures probe() {
        Provider accp;
        try {
            accp = com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE;
            Throwable error = com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE
                    .getLoadingError();
            if (error != null) {
                return unavailable("its library did not load: " + error);
            }
        } catch (LinkageError e) {
            return unavailable("AmazonCorrettoCryptoProvider is not on the class path: " + e);
        }
        try {
            check(accp);
        } catch (GeneralSecurityException | RuntimeException e) {
            return unavailable("it failed a sign-and-verify check: " + e);
        }
        return new NativeSignatures(accp, "AWS-LC (AmazonCorrettoCryptoProvider " + accp.getVersionStr() + ")");
    }

    static NativeSignatures unavailableFor(String why) {
        return unavailable(why);
    }

    private static NativeSignatures unavailable(String why) {
        return new NativeSignatures(null, "BouncyCastle (pure Java; native crypto unavailable: " + why + ")");
    }

    /** A P-256 signature by the provider must verify with the JDK's SunEC, and a changed message must not. */
    private static void check(Provider accp) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", accp);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        byte[] hash = new byte[32];
        hash[0] = 1;
        Signature signer = Signature.getInstance("NONEwithECDSA", accp);
        signer.initSign(pair.getPrivate());
        signer.update(hash);
        byte[] signature = signer.sign();
        java.security.KeyFactory jdk = java.security.KeyFactory.getInstance("EC", "SunEC");
        java.security.PublicKey publicKey = jdk.generatePublic(
                new java.security.spec.X509EncodedKeySpec(pair.getPublic().getEncoded()));
        Signature verifier = Signature.getInstance("NONEwithECDSA", "SunEC");
        verifier.initVerify(publicKey);
        verifier.update(hash);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException("SunEC rejects its signature");
        }
        hash[0] = 2;
        verifier.initVerify(publicKey);
        verifier.update(hash);
        if (verifier.verify(signature)) {
            throw new GeneralSecurityException("SunEC accepts its signature over another hash");
        }
    }

    /** The native provider, or null for BouncyCastle. */
    Provider provider() {
        return provider;
    }

    /** Who signs, for the banner and /server-status. */
    public String describe() {
        return description;
    }
}
