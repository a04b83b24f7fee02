package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.net.TrafficKeys;
import java.io.IOException;
import java.util.Arrays;
import org.bouncycastle.tls.EncryptionAlgorithm;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoUtils;
import org.bouncycastle.tls.crypto.TlsSecret;

/**
 * Record keys from BouncyCastle's negotiated secrets. Only secrets derived here are
 * extracted ({@link TlsSecret#extract()} destroys its secret); the session's own master
 * and traffic secrets are left intact.
 */
final class KeySchedule {
    private KeySchedule() {
    }

    /** The AEAD cipher BouncyCastle negotiated, or null if it is not one the kernel can carry. */
    static AeadCipher cipherOf(int cipherSuite) {
        switch (TlsUtils.getEncryptionAlgorithm(cipherSuite)) {
            case EncryptionAlgorithm.AES_128_GCM: return AeadCipher.AES_128_GCM;
            case EncryptionAlgorithm.AES_256_GCM: return AeadCipher.AES_256_GCM;
            case EncryptionAlgorithm.CHACHA20_POLY1305: return AeadCipher.CHACHA20_POLY1305;
            case EncryptionAlgorithm.AES_128_CCM: return AeadCipher.AES_128_CCM;
            default: return null;
        }
    }

    /**
     * TLS 1.3 write key and IV from a traffic secret, RFC 8446 section 7.3:
     * key = HKDF-Expand-Label(secret, "key", "", key_length), iv = HKDF-Expand-Label(secret, "iv", "", 12).
     * BouncyCastle's hkdfExpandLabel adds the "tls13 " prefix.
     */
    static TrafficKeys tls13(TlsSecret trafficSecret, int cryptoHashAlgorithm, AeadCipher cipher, long sequence)
            throws IOException {
        byte[] key = TlsCryptoUtils.hkdfExpandLabel(trafficSecret, cryptoHashAlgorithm, "key",
                TlsUtils.EMPTY_BYTES, cipher.keyLength()).extract();
        byte[] iv = TlsCryptoUtils.hkdfExpandLabel(trafficSecret, cryptoHashAlgorithm, "iv",
                TlsUtils.EMPTY_BYTES, cipher.ivLength(TlsVersion.TLS_1_3)).extract();
        try {
            return new TrafficKeys(TlsVersion.TLS_1_3, cipher, key, iv, sequence);
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(iv, (byte) 0);
        }
    }

    /**
     * The next application traffic secret after a KeyUpdate, RFC 8446 section 7.2:
     * HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
     */
    static TlsSecret nextTrafficSecret(TlsSecret secret, int cryptoHashAlgorithm, int hashLength) throws IOException {
        return TlsCryptoUtils.hkdfExpandLabel(secret, cryptoHashAlgorithm, "traffic upd", TlsUtils.EMPTY_BYTES,
                hashLength);
    }

    /**
     * The TLS 1.2 key block, RFC 5246 section 6.3: PRF(master_secret, "key expansion",
     * server_random + client_random), laid out as client key, server key, client IV,
     * server IV (AEAD suites have no MAC keys). Must run before BouncyCastle's
     * cleanupHandshake, which destroys the master secret.
     */
    static byte[] tls12KeyBlock(SecurityParameters parameters, AeadCipher cipher) {
        int length = 2 * cipher.keyLength() + 2 * cipher.ivLength(TlsVersion.TLS_1_2);
        byte[] seed = org.bouncycastle.util.Arrays.concatenate(parameters.getServerRandom(), parameters.getClientRandom());
        return TlsUtils.PRF(parameters, parameters.getMasterSecret(), ExporterLabel.key_expansion, seed, length)
                .extract();
    }

    /** One direction's keys out of a TLS 1.2 key block. */
    static TrafficKeys tls12(byte[] keyBlock, AeadCipher cipher, boolean client, long sequence) {
        int keyLength = cipher.keyLength();
        int ivLength = cipher.ivLength(TlsVersion.TLS_1_2);
        int keyOffset = client ? 0 : keyLength;
        int ivOffset = 2 * keyLength + (client ? 0 : ivLength);
        byte[] key = Arrays.copyOfRange(keyBlock, keyOffset, keyOffset + keyLength);
        byte[] iv = Arrays.copyOfRange(keyBlock, ivOffset, ivOffset + ivLength);
        try {
            return new TrafficKeys(TlsVersion.TLS_1_2, cipher, key, iv, sequence);
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(iv, (byte) 0);
        }
    }
}
