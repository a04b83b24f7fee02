package io.ktlshttps.linux;

/**
 * The AEAD ciphers of {@code linux/tls.h}, with the field sizes of their
 * {@code tls12_crypto_info_*} structs. Every such struct is
 * {@code struct tls_crypto_info info; u8 iv[]; u8 key[]; u8 salt[]; u8 rec_seq[];}
 * in that order with no padding (all members are byte arrays after a 4-byte header), and
 * the same struct serves TLS 1.2 and 1.3.
 */
public enum KernelCipher {
    /** TLS_CIPHER_AES_GCM_128, struct tls12_crypto_info_aes_gcm_128. */
    AES_GCM_128(51, 8, 16, 4),
    /** TLS_CIPHER_AES_GCM_256, struct tls12_crypto_info_aes_gcm_256. */
    AES_GCM_256(52, 8, 32, 4),
    /** TLS_CIPHER_AES_CCM_128, struct tls12_crypto_info_aes_ccm_128. */
    AES_CCM_128(53, 8, 16, 4),
    /** TLS_CIPHER_CHACHA20_POLY1305, struct tls12_crypto_info_chacha20_poly1305 (no salt). */
    CHACHA20_POLY1305(54, 12, 32, 0);

    /** linux/tls.h: every cipher's rec_seq is 8 bytes. */
    public static final int REC_SEQ_SIZE = 8;
    private static final int HEADER_SIZE = 4;

    private final int type;
    private final int ivSize;
    private final int keySize;
    private final int saltSize;

    KernelCipher(int type, int ivSize, int keySize, int saltSize) {
        this.type = type;
        this.ivSize = ivSize;
        this.keySize = keySize;
        this.saltSize = saltSize;
    }

    public int type() {
        return type;
    }

    public int ivSize() {
        return ivSize;
    }

    public int keySize() {
        return keySize;
    }

    public int saltSize() {
        return saltSize;
    }

    /** sizeof(struct tls12_crypto_info_*). */
    public int structSize() {
        return HEADER_SIZE + ivSize + keySize + saltSize + REC_SEQ_SIZE;
    }
}
