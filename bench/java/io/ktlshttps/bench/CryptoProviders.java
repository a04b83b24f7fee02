package io.ktlshttps.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import javax.crypto.KeyAgreement;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The public-key work of one full handshake, by provider, one thread: an X25519 key pair
 * and agreement (the server's key share), and one ECDSA P-256 signature over a SHA-256
 * hash (ServerKeyExchange or CertificateVerify). BouncyCastle's lightweight API (what
 * BcTlsCrypto calls, deterministic nonces as BcTlsECDSASigner uses), the JDK's SunEC (what
 * JcaTlsCrypto would call), OpenSSL's libcrypto through jnr-ffi for X25519 (what
 * NativeKeyExchange calls), and AWS-LC through AmazonCorrettoCryptoProvider. Each operation
 * runs SECONDS to warm up, then SECONDS measured; prints a Markdown table.
 *
 * <p>Usage: CryptoProviders [SECONDS]
 */
public final class CryptoProviders {
    private interface Op {
        void run() throws Exception;
    }

    private CryptoProviders() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3;
        SecureRandom random = new SecureRandom();
        Provider sunEc = Security.getProvider("SunEC");
        Provider accp = com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE;
        String accpState = String.valueOf(
                com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError());
        System.out.println("| provider | X25519 key pair + agreement, µs | ECDSA P-256 signature, µs |");
        System.out.println("|---|---|---|");
        byte[] hash = new byte[32];
        random.nextBytes(hash);
        X9ECParameters p256 = CustomNamedCurves.getByName("secp256r1");
        ECKeyPairGenerator bcGenerator = new ECKeyPairGenerator();
        bcGenerator.init(new ECKeyGenerationParameters(new ECDomainParameters(p256.getCurve(), p256.getG(),
                p256.getN(), p256.getH()), random));
        AsymmetricCipherKeyPair bcKey = bcGenerator.generateKeyPair();
        row("BouncyCastle 1.84, lightweight (BcTlsCrypto, today)", seconds, () -> {
            byte[] privateKey = new byte[32];
            X25519.generatePrivateKey(random, privateKey);
            byte[] publicKey = new byte[32];
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            byte[] secret = new byte[32];
            X25519.calculateAgreement(privateKey, 0, publicKey, 0, secret, 0);
        }, () -> {
            ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
            signer.init(true, bcKey.getPrivate());
            signer.generateSignature(hash);
        });
        jca("JDK " + System.getProperty("java.version") + " SunEC (JcaTlsCrypto)", sunEc, seconds, hash);
        io.ktlshttps.linux.OpenSslX25519 openSsl = io.ktlshttps.linux.OpenSslX25519.load();
        row(openSsl.version() + " libcrypto through jnr-ffi (NativeKeyExchange)", seconds, () -> {
            byte[] scalar = new byte[32];
            random.nextBytes(scalar);
            try (io.ktlshttps.linux.OpenSslX25519.PrivateKey key = openSsl.privateKey(scalar)) {
                byte[] secret = new byte[32];
                if (!openSsl.agree(key, key.publicKey(), secret)) {
                    throw new IllegalStateException("no agreement");
                }
            }
        }, null);
        if (!"null".equals(accpState)) {
            System.out.println("| AmazonCorrettoCryptoProvider | not loaded: " + accpState + " | |");
        } else {
            jca("AWS-LC, AmazonCorrettoCryptoProvider " + accp.getVersionStr(), accp, seconds, hash);
        }
    }

    private static void jca(String name, Provider provider, long seconds, byte[] hash) throws Exception {
        Op x25519;
        try {
            KeyPairGenerator xdh = KeyPairGenerator.getInstance("XDH", provider);
            xdh.initialize(new NamedParameterSpec("X25519"));
            x25519 = () -> {
                KeyPair pair = xdh.generateKeyPair();
                KeyAgreement agreement = KeyAgreement.getInstance("XDH", provider);
                agreement.init(pair.getPrivate());
                agreement.doPhase(pair.getPublic(), true);
                agreement.generateSecret();
            };
        } catch (java.security.GeneralSecurityException e) {
            x25519 = null;
        }
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", provider);
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = ec.generateKeyPair();
        row(name, seconds, x25519, () -> {
            Signature signer = Signature.getInstance("NONEwithECDSA", provider);
            signer.initSign(key.getPrivate());
            signer.update(hash);
            signer.sign();
        });
    }

    private static void row(String name, long seconds, Op x25519, Op sign) throws Exception {
        System.out.println("| " + name + " | " + (x25519 == null ? "not offered" : String.format("%.0f",
                micros(x25519, seconds))) + " | " + (sign == null ? "not used" : String.format("%.0f",
                micros(sign, seconds))) + " |");
    }

    private static double micros(Op op, long seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            op.run();
        }
        long n = 0;
        long start = System.nanoTime();
        end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            op.run();
            n++;
        }
        return (System.nanoTime() - start) / 1000.0 / n;
    }
}
