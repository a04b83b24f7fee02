package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.net.TrafficKeys;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.tls.crypto.CryptoHashAlgorithm;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.Test;

class KeyScheduleTest {
    private static final BcTlsCrypto CRYPTO = new BcTlsCrypto(new SecureRandom());

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** RFC 8448 section 3, "{server} derive write traffic keys for application data". */
    @Test
    void tls13ServerApplicationKeysMatchRfc8448() throws Exception {
        TlsSecret secret = CRYPTO.createSecret(
                hex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"));
        TrafficKeys keys = KeySchedule.tls13(secret, CryptoHashAlgorithm.sha256, AeadCipher.AES_128_GCM, 0);
        assertArrayEquals(hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"), keys.key());
        assertArrayEquals(hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"), keys.iv());
        assertEquals(TlsVersion.TLS_1_3, keys.version());
    }

    /** RFC 8448 section 3, "{server} derive read traffic keys for application data" (the client's write keys). */
    @Test
    void tls13ClientApplicationKeysMatchRfc8448() throws Exception {
        TlsSecret secret = CRYPTO.createSecret(
                hex("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"));
        TrafficKeys keys = KeySchedule.tls13(secret, CryptoHashAlgorithm.sha256, AeadCipher.AES_128_GCM, 7);
        assertArrayEquals(hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"), keys.key());
        assertArrayEquals(hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9"), keys.iv());
        assertEquals(7, keys.sequenceNumber());
    }

    /** Deriving must not destroy the traffic secret: the session still needs it. */
    @Test
    void tls13DerivationLeavesTheTrafficSecretUsable() throws Exception {
        TlsSecret secret = CRYPTO.createSecret(new byte[32]);
        TrafficKeys first = KeySchedule.tls13(secret, CryptoHashAlgorithm.sha256, AeadCipher.AES_256_GCM, 0);
        TrafficKeys second = KeySchedule.tls13(secret, CryptoHashAlgorithm.sha256, AeadCipher.AES_256_GCM, 0);
        assertArrayEquals(first.key(), second.key());
        assertEquals(32, first.key().length);
    }

    /** RFC 5246 section 6.3: client key, server key, client IV, server IV. */
    @Test
    void tls12KeyBlockIsSlicedInRfcOrder() {
        byte[] block = new byte[2 * 32 + 2 * 12];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) i;
        }
        TrafficKeys client = KeySchedule.tls12(block, AeadCipher.CHACHA20_POLY1305, true, 1);
        TrafficKeys server = KeySchedule.tls12(block, AeadCipher.CHACHA20_POLY1305, false, 1);
        assertEquals(0, client.key()[0]);
        assertEquals(32, server.key()[0]);
        assertEquals(64, client.iv()[0]);
        assertEquals(76, server.iv()[0]);
        assertEquals(12, server.iv().length);

        byte[] gcm = new byte[2 * 16 + 2 * 4];
        for (int i = 0; i < gcm.length; i++) {
            gcm[i] = (byte) i;
        }
        assertEquals(36, KeySchedule.tls12(gcm, AeadCipher.AES_128_GCM, false, 1).iv()[0]);
        assertEquals(4, KeySchedule.tls12(gcm, AeadCipher.AES_128_GCM, false, 1).iv().length);
    }
}
