package io.ktlshttps.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One direction's {@code struct tls12_crypto_info_*} (linux/tls.h), as passed to
 * {@code setsockopt(SOL_TLS, TLS_TX|TLS_RX)}. Holds key material: {@link #destroy()} it
 * once installed.
 */
public final class CryptoInfo {
    private final int version;
    private final KernelCipher cipher;
    private final byte[] iv;
    private final byte[] key;
    private final byte[] salt;
    private final byte[] recSeq;

    public CryptoInfo(int version, KernelCipher cipher, byte[] iv, byte[] key, byte[] salt, byte[] recSeq) {
        if (version != LinuxConstants.TLS_1_2_VERSION && version != LinuxConstants.TLS_1_3_VERSION) {
            throw new IllegalArgumentException("unsupported TLS version 0x" + Integer.toHexString(version));
        }
        check("iv", iv, cipher.ivSize());
        check("key", key, cipher.keySize());
        check("salt", salt, cipher.saltSize());
        check("rec_seq", recSeq, KernelCipher.REC_SEQ_SIZE);
        this.version = version;
        this.cipher = cipher;
        this.iv = iv.clone();
        this.key = key.clone();
        this.salt = salt.clone();
        this.recSeq = recSeq.clone();
    }

    private static void check(String field, byte[] value, int size) {
        if (value.length != size) {
            throw new IllegalArgumentException(field + " must be " + size + " bytes, got " + value.length);
        }
    }

    /** Decodes a struct read back with getsockopt. */
    public static CryptoInfo decode(byte[] struct) {
        ByteBuffer b = ByteBuffer.wrap(struct).order(ByteOrder.nativeOrder());
        int version = Short.toUnsignedInt(b.getShort());
        int type = Short.toUnsignedInt(b.getShort());
        KernelCipher cipher = null;
        for (KernelCipher c : KernelCipher.values()) {
            if (c.type() == type) {
                cipher = c;
            }
        }
        if (cipher == null || struct.length < cipher.structSize()) {
            throw new IllegalArgumentException("unknown crypto_info cipher type " + type);
        }
        byte[] iv = new byte[cipher.ivSize()];
        byte[] key = new byte[cipher.keySize()];
        byte[] salt = new byte[cipher.saltSize()];
        byte[] recSeq = new byte[KernelCipher.REC_SEQ_SIZE];
        b.get(iv).get(key).get(salt).get(recSeq);
        return new CryptoInfo(version, cipher, iv, key, salt, recSeq);
    }

    /** The struct's bytes: a native-endian {@code u16 version, u16 cipher_type} header, then the arrays. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(cipher.structSize()).order(ByteOrder.nativeOrder());
        b.putShort((short) version).putShort((short) cipher.type());
        b.put(iv).put(key).put(salt).put(recSeq);
        return b.array();
    }

    public int version() {
        return version;
    }

    public KernelCipher cipher() {
        return cipher;
    }

    public byte[] iv() {
        return iv.clone();
    }

    public byte[] key() {
        return key.clone();
    }

    public byte[] salt() {
        return salt.clone();
    }

    public byte[] recSeq() {
        return recSeq.clone();
    }

    /** rec_seq as a number: the sequence number of the next record (64-bit big-endian). */
    public long recordSequence() {
        return java.nio.ByteBuffer.wrap(recSeq).getLong();
    }

    public void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(iv, (byte) 0);
        Arrays.fill(salt, (byte) 0);
    }

    @Override
    public String toString() {
        return "CryptoInfo[version=0x" + Integer.toHexString(version) + ", cipher=" + cipher + "]";
    }
}
