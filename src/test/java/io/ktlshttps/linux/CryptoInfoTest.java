package io.ktlshttps.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CryptoInfoTest {
    /** sizeof() of each struct in linux/tls.h, by hand: 4-byte header + iv + key + salt + rec_seq. */
    @Test
    void structSizesMatchLinuxTlsH() {
        assertEquals(40, KernelCipher.AES_GCM_128.structSize());
        assertEquals(56, KernelCipher.AES_GCM_256.structSize());
        assertEquals(40, KernelCipher.AES_CCM_128.structSize());
        assertEquals(56, KernelCipher.CHACHA20_POLY1305.structSize());
        assertEquals(51, KernelCipher.AES_GCM_128.type());
        assertEquals(54, KernelCipher.CHACHA20_POLY1305.type());
    }

    @ParameterizedTest
    @EnumSource(KernelCipher.class)
    void encodesFieldsInStructOrder(KernelCipher cipher) {
        byte[] iv = filled(cipher.ivSize(), 1);
        byte[] key = filled(cipher.keySize(), 2);
        byte[] salt = filled(cipher.saltSize(), 3);
        byte[] seq = filled(8, 4);
        byte[] struct = new CryptoInfo(LinuxConstants.TLS_1_3_VERSION, cipher, iv, key, salt, seq).encode();
        ByteBuffer b = ByteBuffer.wrap(struct).order(ByteOrder.nativeOrder());
        assertEquals(0x0304, b.getShort());
        assertEquals(cipher.type(), b.getShort());
        int at = 4;
        assertArrayEquals(iv, Arrays.copyOfRange(struct, at, at += iv.length));
        assertArrayEquals(key, Arrays.copyOfRange(struct, at, at += key.length));
        assertArrayEquals(salt, Arrays.copyOfRange(struct, at, at += salt.length));
        assertArrayEquals(seq, Arrays.copyOfRange(struct, at, at + 8));
        CryptoInfo back = CryptoInfo.decode(struct);
        assertEquals(cipher, back.cipher());
        assertArrayEquals(key, back.key());
        assertArrayEquals(seq, back.recSeq());
    }

    @Test
    void rejectsWrongLengths() {
        KernelCipher c = KernelCipher.AES_GCM_128;
        assertThrows(IllegalArgumentException.class,
                () -> new CryptoInfo(0x0303, c, new byte[8], new byte[32], new byte[4], new byte[8]));
        assertThrows(IllegalArgumentException.class,
                () -> new CryptoInfo(0x0302, c, new byte[8], new byte[16], new byte[4], new byte[8]));
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
