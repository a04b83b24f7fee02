package io.ktlshttps.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ktlshttps.linux.CryptoInfo;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The crypto_info field mapping of ../shared/REFERENCES.md, one case per row. */
class TrafficKeysTest {
    private static final byte[] IV12 = HexFormat.of().parseHex("000102030405060708090a0b");
    private static final byte[] SEQ_5 = HexFormat.of().parseHex("0000000000000005");

    @Test
    void tls12GcmUsesTheImplicitIvAsSaltAndTheSequenceNumberAsExplicitNonce() {
        byte[] salt = HexFormat.of().parseHex("a1a2a3a4");
        CryptoInfo info = new TrafficKeys(TlsVersion.TLS_1_2, AeadCipher.AES_128_GCM, new byte[16], salt, 5)
                .toCryptoInfo();
        assertArrayEquals(salt, info.salt());
        assertArrayEquals(SEQ_5, info.iv());
        assertArrayEquals(SEQ_5, info.recSeq());
        assertEquals(0x0303, info.version());
    }

    @Test
    void tls13GcmSplitsTheIvIntoSaltAndIv() {
        CryptoInfo info = new TrafficKeys(TlsVersion.TLS_1_3, AeadCipher.AES_256_GCM, new byte[32], IV12, 5)
                .toCryptoInfo();
        assertArrayEquals(HexFormat.of().parseHex("00010203"), info.salt());
        assertArrayEquals(HexFormat.of().parseHex("0405060708090a0b"), info.iv());
        assertArrayEquals(SEQ_5, info.recSeq());
    }

    @Test
    void tls13CcmSplitsLikeGcm() {
        CryptoInfo info = new TrafficKeys(TlsVersion.TLS_1_3, AeadCipher.AES_128_CCM, new byte[16], IV12, 0)
                .toCryptoInfo();
        assertArrayEquals(HexFormat.of().parseHex("00010203"), info.salt());
        assertArrayEquals(HexFormat.of().parseHex("0405060708090a0b"), info.iv());
    }

    @Test
    void chachaHasNoSaltAndTheWholeIv() {
        for (TlsVersion version : TlsVersion.values()) {
            CryptoInfo info = new TrafficKeys(version, AeadCipher.CHACHA20_POLY1305, new byte[32], IV12, 5)
                    .toCryptoInfo();
            assertEquals(0, info.salt().length);
            assertArrayEquals(IV12, info.iv());
            assertArrayEquals(SEQ_5, info.recSeq());
        }
    }

    @Test
    void rejectsIvsOfTheWrongLengthForTheVersion() {
        assertThrows(IllegalArgumentException.class,
                () -> new TrafficKeys(TlsVersion.TLS_1_2, AeadCipher.AES_128_GCM, new byte[16], IV12, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new TrafficKeys(TlsVersion.TLS_1_3, AeadCipher.AES_128_GCM, new byte[16], new byte[4], 1));
        assertThrows(IllegalArgumentException.class,
                () -> new TrafficKeys(TlsVersion.TLS_1_3, AeadCipher.AES_128_GCM, new byte[32], IV12, 1));
    }
}
