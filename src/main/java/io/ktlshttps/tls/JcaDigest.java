package io.ktlshttps.tls;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.crypto.ExtendedDigest;
import org.bouncycastle.tls.crypto.CryptoHashAlgorithm;
import org.bouncycastle.util.Memoable;

/**
 * SHA-256, SHA-384 and SHA-512 for BouncyCastle's TLS code, computed by the JDK's
 * MessageDigest, which HotSpot runs on its intrinsics (SHA-NI for SHA-256, AVX2 for
 * SHA-384/512 where the CPU has them) instead of BouncyCastle's pure-Java rounds. The
 * handshake hashes its transcript, and its PRF or HKDF and its Finished run HMACs over
 * these: in the host profile of a full TLS 1.2 handshake (ECDHE-ECDSA-AES256-GCM-SHA384),
 * BouncyCastle's SHA-384 and SHA-256 rounds were about a tenth of its CPU.
 *
 * <p>{@link Memoable}, as BouncyCastle's own digests are: HMac then keeps its padded-key
 * states instead of hashing the key block again for each MAC, and a running transcript
 * hash can be copied ({@link SequenceTrackingCrypto#cloneDigest}). The state is copied
 * with {@link MessageDigest#clone()}, which the JDK's own SHA-2 digests support.
 */
final class JcaDigest implements ExtendedDigest, Memoable {
    private final String name;
    private final int blockLength;
    private MessageDigest digest;

    private JcaDigest(String name, int blockLength, MessageDigest digest) {
        this.name = name;
        this.blockLength = blockLength;
        this.digest = digest;
    }

    /** A new digest for a BouncyCastle {@link CryptoHashAlgorithm}, or null for one not handled here. */
    static JcaDigest create(int cryptoHashAlgorithm) {
        switch (cryptoHashAlgorithm) {
            case CryptoHashAlgorithm.sha256:
                return of("SHA-256", 64);
            case CryptoHashAlgorithm.sha384:
                return of("SHA-384", 128);
            case CryptoHashAlgorithm.sha512:
                return of("SHA-512", 128);
            default:
                return null;
        }
    }

    private static JcaDigest of(String name, int blockLength) {
        try {
            return new JcaDigest(name, blockLength, MessageDigest.getInstance(name));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + name, e); // every Java SE runtime has it
        }
    }

    private static MessageDigest copyOf(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(digest.getAlgorithm() + " from " + digest.getProvider()
                    + " cannot be copied", e);
        }
    }

    /** The name BouncyCastle's own digest has (HMac looks block sizes up by it when it must). */
    @Override
    public String getAlgorithmName() {
        return name;
    }

    @Override
    public int getDigestSize() {
        return digest.getDigestLength();
    }

    @Override
    public int getByteLength() {
        return blockLength;
    }

    @Override
    public void update(byte in) {
        digest.update(in);
    }

    @Override
    public void update(byte[] in, int offset, int length) {
        digest.update(in, offset, length);
    }

    /** Writes the hash and resets, as every BouncyCastle digest does. */
    @Override
    public int doFinal(byte[] out, int offset) {
        try {
            return digest.digest(out, offset, digest.getDigestLength());
        } catch (DigestException e) {
            throw new IllegalArgumentException("no room for the " + name + " hash at " + offset + " of "
                    + out.length + " bytes", e);
        }
    }

    @Override
    public void reset() {
        digest.reset();
    }

    @Override
    public Memoable copy() {
        return new JcaDigest(name, blockLength, copyOf(digest));
    }

    /** Takes a copy of the other's state; the other stays as it is, for the next reset to it. */
    @Override
    public void reset(Memoable other) {
        JcaDigest from = (JcaDigest) other;
        if (!from.name.equals(name)) {
            throw new IllegalArgumentException("a " + name + " digest cannot take the state of " + from.name);
        }
        digest = copyOf(from.digest);
    }
}
