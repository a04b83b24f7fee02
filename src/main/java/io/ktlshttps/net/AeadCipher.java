package io.ktlshttps.net;

import io.ktlshttps.linux.KernelCipher;

/** The AEAD record ciphers that both BouncyCastle and the kernel implement. */
public enum AeadCipher {
    AES_128_GCM(KernelCipher.AES_GCM_128, 16, 4),
    AES_256_GCM(KernelCipher.AES_GCM_256, 32, 4),
    CHACHA20_POLY1305(KernelCipher.CHACHA20_POLY1305, 32, 12),
    AES_128_CCM(KernelCipher.AES_CCM_128, 16, 4);

    /** RFC 8446 section 5.3: TLS 1.3 write IVs are iv_length = 12 bytes for every AEAD. */
    private static final int TLS13_IV_LENGTH = 12;

    private final KernelCipher kernelCipher;
    private final int keyLength;
    private final int tls12FixedIvLength;

    AeadCipher(KernelCipher kernelCipher, int keyLength, int tls12FixedIvLength) {
        this.kernelCipher = kernelCipher;
        this.keyLength = keyLength;
        this.tls12FixedIvLength = tls12FixedIvLength;
    }

    KernelCipher kernelCipher() {
        return kernelCipher;
    }

    public int keyLength() {
        return keyLength;
    }

    /**
     * The length of the write IV the key schedule yields: in TLS 1.2 the 4-byte implicit
     * part for GCM and CCM (RFC 5288 section 3, RFC 6655 section 3) and all 12 bytes for
     * ChaCha20-Poly1305 (RFC 7905 section 2); in TLS 1.3 always 12.
     */
    public int ivLength(TlsVersion version) {
        return version == TlsVersion.TLS_1_3 ? TLS13_IV_LENGTH : tls12FixedIvLength;
    }
}
