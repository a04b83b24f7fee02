package io.ktlshttps.testing;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.net.TrafficKeys;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.CCMBlockCipher;
import org.bouncycastle.crypto.modes.CCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * An independent TLS record protector for tests: the JDK's AES-GCM and ChaCha20-Poly1305
 * (and BouncyCastle's bare CCM mode, which the JDK lacks), driven straight from exported
 * {@link TrafficKeys}. It follows RFC 5246 section 6.2.3.3, RFC 5288, RFC 7905 and
 * RFC 8446 section 5.2, and shares no code with the server.
 */
public final class RecordCrypto {
    private static final int TAG = 16;
    private static final int LEGACY_VERSION = 0x0303;

    private final TrafficKeys keys;
    private long sequence;

    public RecordCrypto(TrafficKeys keys) {
        this.keys = keys;
        this.sequence = keys.sequenceNumber();
    }

    public long sequence() {
        return sequence;
    }

    /** A whole record (header included) carrying plaintext of the given content type. */
    public byte[] seal(int contentType, byte[] plaintext) throws GeneralSecurityException {
        long seq = sequence++;
        boolean tls13 = keys.version() == TlsVersion.TLS_1_3;
        byte[] inner = plaintext;
        int outerType = contentType;
        if (tls13) {
            inner = Arrays.copyOf(plaintext, plaintext.length + 1);
            inner[plaintext.length] = (byte) contentType;
            outerType = 23;
        }
        byte[] explicit = explicitNonce(seq);
        int bodyLength = explicit.length + inner.length + TAG;
        byte[] header = header(outerType, bodyLength);
        byte[] aad = tls13 ? header : aad12(seq, contentType, plaintext.length);
        byte[] sealed = crypt(true, nonce(seq, explicit), aad, inner);
        return ByteBuffer.allocate(5 + bodyLength).put(header).put(explicit).put(sealed).array();
    }

    /** A decrypted record: its content type and plaintext. */
    public record Opened(int contentType, byte[] plaintext) {
    }

    /** Reads one record from the raw stream and decrypts it. */
    public Opened open(InputStream raw) throws IOException, GeneralSecurityException {
        DataInputStream in = new DataInputStream(raw);
        byte[] header = new byte[5];
        in.readFully(header);
        int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        byte[] body = new byte[length];
        in.readFully(body);
        long seq = sequence++;
        if (keys.version() == TlsVersion.TLS_1_3) {
            byte[] inner = crypt(false, nonce(seq, new byte[0]), header, body);
            int end = inner.length - 1;
            while (end >= 0 && inner[end] == 0) {
                end--; // RFC 8446 section 5.4 padding
            }
            return new Opened(inner[end] & 0xff, Arrays.copyOf(inner, end));
        }
        int explicitLength = explicitNonce(seq).length;
        byte[] explicit = Arrays.copyOf(body, explicitLength);
        byte[] ciphertext = Arrays.copyOfRange(body, explicitLength, body.length);
        byte[] aad = aad12(seq, header[0] & 0xff, ciphertext.length - TAG);
        return new Opened(header[0] & 0xff, crypt(false, nonce(seq, explicit), aad, ciphertext));
    }

    private byte[] explicitNonce(long seq) {
        boolean explicit = keys.version() == TlsVersion.TLS_1_2 && keys.cipher() != AeadCipher.CHACHA20_POLY1305;
        return explicit ? ByteBuffer.allocate(8).putLong(seq).array() : new byte[0];
    }

    private byte[] nonce(long seq, byte[] explicit) {
        byte[] iv = keys.iv();
        if (explicit.length > 0) {
            return ByteBuffer.allocate(12).put(iv).put(explicit).array(); // RFC 5288 section 3
        }
        byte[] padded = ByteBuffer.allocate(12).putInt(0).putLong(seq).array();
        for (int i = 0; i < 12; i++) {
            iv[i] ^= padded[i]; // RFC 8446 section 5.3, RFC 7905 section 2
        }
        return iv;
    }

    private static byte[] header(int type, int length) {
        return new byte[] {(byte) type, 3, 3, (byte) (length >> 8), (byte) length};
    }

    private static byte[] aad12(long seq, int type, int plaintextLength) {
        return ByteBuffer.allocate(13).putLong(seq).put((byte) type).putShort((short) LEGACY_VERSION)
                .putShort((short) plaintextLength).array();
    }

    private byte[] crypt(boolean encrypt, byte[] nonce, byte[] aad, byte[] input) throws GeneralSecurityException {
        byte[] key = keys.key();
        switch (keys.cipher()) {
            case AES_128_GCM:
            case AES_256_GCM: {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                        new GCMParameterSpec(TAG * 8, nonce));
                c.updateAAD(aad);
                return c.doFinal(input);
            }
            case CHACHA20_POLY1305: {
                Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
                c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"),
                        new IvParameterSpec(nonce));
                c.updateAAD(aad);
                return c.doFinal(input);
            }
            case AES_128_CCM: {
                CCMModeCipher c = CCMBlockCipher.newInstance(AESEngine.newInstance());
                c.init(encrypt, new AEADParameters(new KeyParameter(key), TAG * 8, nonce, aad));
                byte[] out = new byte[c.getOutputSize(input.length)];
                int n = c.processBytes(input, 0, input.length, out, 0);
                try {
                    n += c.doFinal(out, n);
                } catch (InvalidCipherTextException e) {
                    throw new javax.crypto.AEADBadTagException(e.getMessage());
                }
                return Arrays.copyOf(out, n);
            }
            default:
                throw new IllegalArgumentException(keys.cipher().toString());
        }
    }
}
