package io.ktlshttps.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The few TLS 1.3 key-schedule steps (RFC 8446 section 7.1) that the server computes
 * itself, by the JDK's HMAC: a resumption PSK's binder, checked before the PSK is handed to
 * BouncyCastle, so that a binder that does not verify is a full handshake rather than
 * BouncyCastle's decrypt_error.
 */
final class Tls13Hkdf {
    private Tls13Hkdf() {
    }

    /** The JDK's name of a TLS 1.3 suite's hash. */
    static String hashOf(int cipherSuite) {
        return cipherSuite == org.bouncycastle.tls.CipherSuite.TLS_AES_256_GCM_SHA384 ? "SHA-384" : "SHA-256";
    }

    static String hmacOf(String hash) {
        return hash.equals("SHA-384") ? "HmacSHA384" : "HmacSHA256";
    }

    /**
     * The binder of a resumption PSK over this transcript hash (of the ClientHello up to
     * its binders): HMAC(finished_key(Derive-Secret(Early-Secret(psk), "res binder", "")), hash).
     */
    static byte[] resumptionBinder(String hash, byte[] psk, byte[] truncatedTranscriptHash) {
        String hmac = hmacOf(hash);
        int length = HandshakeTranscript.digest(hash).getDigestLength();
        byte[] early = mac(hmac, new byte[length], psk);
        byte[] emptyHash = HandshakeTranscript.digest(hash).digest();
        byte[] binderKey = expandLabel(hmac, early, "res binder", emptyHash, length);
        byte[] finishedKey = expandLabel(hmac, binderKey, "finished", new byte[0], length);
        return mac(hmac, finishedKey, truncatedTranscriptHash);
    }

    /** HKDF-Expand-Label for an output no longer than one hash. */
    static byte[] expandLabel(String hmac, byte[] secret, String label, byte[] context, int length) {
        byte[] full = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[2 + 1 + full.length + 1 + context.length + 1];
        info[0] = (byte) (length >> 8);
        info[1] = (byte) length;
        info[2] = (byte) full.length;
        System.arraycopy(full, 0, info, 3, full.length);
        info[3 + full.length] = (byte) context.length;
        System.arraycopy(context, 0, info, 4 + full.length, context.length);
        info[info.length - 1] = 1; // T(1)'s counter
        return java.util.Arrays.copyOf(mac(hmac, secret, info), length);
    }

    private static byte[] mac(String algorithm, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + algorithm, e);
        }
    }
}
