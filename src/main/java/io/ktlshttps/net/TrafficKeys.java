package io.ktlshttps.net;

import io.ktlshttps.linux.CryptoInfo;
import io.ktlshttps.linux.KernelCipher;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One direction's record protection state after a handshake: the version, the cipher,
 * the write key, the write IV as the key schedule yields it, and the sequence number of
 * the next record. A plain value; {@link #destroy()} wipes the key material.
 */
public final class TrafficKeys {
    private final TlsVersion version;
    private final AeadCipher cipher;
    private final byte[] key;
    private final byte[] iv;
    private final long sequenceNumber;

    public TrafficKeys(TlsVersion version, AeadCipher cipher, byte[] key, byte[] iv, long sequenceNumber) {
        if (key.length != cipher.keyLength()) {
            throw new IllegalArgumentException(cipher + " key must be " + cipher.keyLength() + " bytes");
        }
        if (iv.length != cipher.ivLength(version)) {
            throw new IllegalArgumentException(cipher + " IV must be " + cipher.ivLength(version) + " bytes in "
                    + version);
        }
        if (sequenceNumber < 0) {
            throw new IllegalArgumentException("sequence number out of range");
        }
        this.version = version;
        this.cipher = cipher;
        this.key = key.clone();
        this.iv = iv.clone();
        this.sequenceNumber = sequenceNumber;
    }

    public TlsVersion version() {
        return version;
    }

    public AeadCipher cipher() {
        return cipher;
    }

    public byte[] key() {
        return key.clone();
    }

    public byte[] iv() {
        return iv.clone();
    }

    public long sequenceNumber() {
        return sequenceNumber;
    }

    /**
     * The kernel's crypto_info for these keys (field mapping in docs and
     * ../shared/REFERENCES.md):
     * <ul>
     * <li>ChaCha20-Poly1305: no salt, iv = the whole 12-byte IV (the kernel XORs in rec_seq).
     * <li>TLS 1.3 GCM/CCM: salt = IV[0..3], iv = IV[4..11].
     * <li>TLS 1.2 GCM/CCM: salt = the 4-byte implicit IV; iv = the explicit nonce of the
     *     next record, which BouncyCastle and OpenSSL set to the sequence number.
     * </ul>
     * rec_seq is always the 64-bit big-endian sequence number (RFC 8446 section 5.3).
     */
    CryptoInfo toCryptoInfo() {
        KernelCipher kc = cipher.kernelCipher();
        byte[] recSeq = ByteBuffer.allocate(8).putLong(sequenceNumber).array();
        byte[] salt;
        byte[] nonce;
        if (kc.saltSize() == 0) {
            salt = new byte[0];
            nonce = iv;
        } else if (version == TlsVersion.TLS_1_3) {
            salt = Arrays.copyOfRange(iv, 0, kc.saltSize());
            nonce = Arrays.copyOfRange(iv, kc.saltSize(), iv.length);
        } else {
            salt = iv;
            nonce = recSeq;
        }
        return new CryptoInfo(version.wireValue(), kc, nonce, key, salt, recSeq);
    }

    public void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(iv, (byte) 0);
    }

    @Override
    public String toString() {
        return "TrafficKeys[" + version + ", " + cipher + ", seq=" + sequenceNumber + "]";
    }
}
