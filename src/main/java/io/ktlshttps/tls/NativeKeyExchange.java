package io.ktlshttps.tls;

import io.ktlshttps.linux.OpenSslX25519;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Native X25519 for the handshake's key exchange, where it is available: OpenSSL's
 * libcrypto ({@link OpenSslX25519}), which every Debian system with openssl has. X25519 was
 * the largest single cost of a full handshake on the host (docs/benchmarks/
 * profile-handshake.txt): BouncyCastle's pure-Java field arithmetic against OpenSSL's
 * assembly. docs/benchmarks/crypto-providers.md compares them.
 *
 * <p>Where libcrypto does not load, or fails a check against BouncyCastle's X25519 at start
 * (the same public key for a random scalar, the same secret both ways, and a refused
 * all-zero secret), key exchange stays in BouncyCastle, and {@link #describe()} says why.
 * Other groups (P-256, P-384, X448) stay in BouncyCastle.
 */
public final class NativeKeyExchange {
    private final OpenSslX25519 x25519;
    private final String description;
    private final LongAdder agreements = new LongAdder();

    private NativeKeyExchange(OpenSslX25519 x25519, String description) {
        this.x25519 = x25519;
        this.description = description;
    }

    /** BouncyCastle only, by choice. */
    public static NativeKeyExchange off() {
        return new NativeKeyExchange(null, "BouncyCastle (pure Java; --native-crypto off)");
    }

    /** OpenSSL's libcrypto where it loads and agrees with BouncyCastle here, else BouncyCastle with the reason. */
    public static NativeKeyExchange probe() {
        OpenSslX25519 x25519;
        try {
            x25519 = OpenSslX25519.load();
        } catch (UnsatisfiedLinkError e) {
            return unavailable("libcrypto did not load: " + e.getMessage());
        }
        try {
            check(x25519, new SecureRandom());
        } catch (IllegalStateException e) {
            return unavailable(x25519.version() + " failed a check against BouncyCastle: " + e.getMessage());
        }
        return new NativeKeyExchange(x25519, x25519.version() + " libcrypto");
    }

    private static NativeKeyExchange unavailable(String why) {
        return new NativeKeyExchange(null, "BouncyCastle (pure Java; native X25519 unavailable: " + why + ")");
    }

    /** Both sides' public keys and the secret between them must be BouncyCastle's; all zeros must be refused. */
    static void check(OpenSslX25519 x25519, SecureRandom random) {
        byte[] ours = new byte[X25519.SCALAR_SIZE];
        byte[] theirs = new byte[X25519.SCALAR_SIZE];
        random.nextBytes(ours);
        random.nextBytes(theirs);
        byte[] theirPublic = new byte[X25519.POINT_SIZE];
        X25519.scalarMultBase(theirs, 0, theirPublic, 0);
        byte[] ourPublic = new byte[X25519.POINT_SIZE];
        X25519.scalarMultBase(ours, 0, ourPublic, 0);
        byte[] expected = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(theirs, 0, ourPublic, 0, expected, 0)) {
            throw new IllegalStateException("BouncyCastle found no secret for random keys");
        }
        byte[] secret = new byte[OpenSslX25519.KEY_SIZE];
        try (OpenSslX25519.PrivateKey key = x25519.privateKey(ours)) {
            if (!Arrays.equals(key.publicKey(), ourPublic)) {
                throw new IllegalStateException("another public key");
            }
            if (!x25519.agree(key, theirPublic, secret) || !Arrays.equals(secret, expected)) {
                throw new IllegalStateException("another shared secret");
            }
            if (x25519.agree(key, new byte[OpenSslX25519.KEY_SIZE], secret)) {
                throw new IllegalStateException("an all-zero secret accepted");
            }
        }
    }

    /** The native X25519, or null for BouncyCastle. */
    OpenSslX25519 x25519() {
        return x25519;
    }

    /** Counts one agreement made by the native X25519. */
    void agreed() {
        agreements.increment();
    }

    /** Agreements made by the native X25519 since start. */
    public long agreements() {
        return agreements.sum();
    }

    /** Who does X25519, for the banner. */
    public String describe() {
        return description;
    }

    /** "native" or "bouncycastle", for /server-status. */
    public String label() {
        return x25519 != null ? "native" : "bouncycastle";
    }
}
