package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TrafficKeys;
import java.io.IOException;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.tls.SecurityParameters;

/**
 * Early data (0-RTT) the server does not accept, skipped as RFC 8446 section 4.2.10 says:
 * our tickets never allow early data, but a client that offers it anyway (with a ticket
 * from another server under the same name) sends 0-RTT records, type 23 under its early
 * key, before and around our ServerHello, and BouncyCastle 1.84 has no code to skip them
 * (it tries them under the client's handshake key: bad_record_mac).
 * <ul>
 * <li>Before the server has spoken, every application-data record is 0-RTT (the client has
 *     no other key yet): it is dropped ({@link #stripFirstFlight}).</li>
 * <li>After that, while the client offered early data and its Finished has not come, an
 *     application-data record that does not decrypt under the client's handshake traffic
 *     key (sequence number 0: its Finished is its first record under that key) is 0-RTT
 *     and dropped ({@link #isEarlyData}), up to {@link #BUDGET} bytes; the first that does
 *     decrypt is the Finished, offered as usual.</li>
 * </ul>
 * AES-GCM and ChaCha20-Poly1305 by the JDK; with AES-CCM (which the JDK lacks) records are
 * offered as before. For one handshake, on one thread.
 */
final class EarlyDataSkipper {
    /** At most this many bytes of 0-RTT records are dropped (our tickets allow none; a client's own cap is 2^14 or so). */
    static final int BUDGET = 1 << 17;
    private static final int APPLICATION_DATA = 23;

    private int skipped;
    /** Bytes still to drop of a 0-RTT record cut off at the end of the first flight. */
    private int remainder;
    private boolean finishedSeen;
    private TrafficKeys handshakeKeys;

    /** Bytes of a record cut off by {@link #stripFirstFlight} still to drop. */
    int remainder() {
        return remainder;
    }

    /** Drops up to n bytes of the remainder; how many were dropped. */
    int dropRemainder(int n) {
        int drop = Math.min(n, remainder);
        remainder -= drop;
        return drop;
    }

    /**
     * The first flight (all the client sent before we spoke) without its application-data
     * records, compacted in place; the new length. It may come in several reads: a record
     * cut off at the end of one goes on in the next (kept or dropped as it began). A
     * record header cut off ends the stripping for this connection (it never happens with
     * the clients we know; BouncyCastle then sees what the client sent, as before).
     */
    int stripFirstFlight(byte[] bytes, int length) {
        if (lost) {
            return length;
        }
        int in = 0;
        int out = 0;
        while (in < length) {
            if (remainder > 0 || keep > 0) {
                int n = Math.min(remainder > 0 ? remainder : keep, length - in);
                if (remainder > 0) {
                    remainder -= n;
                } else {
                    System.arraycopy(bytes, in, bytes, out, n);
                    out += n;
                    keep -= n;
                }
                in += n;
                continue;
            }
            if (length - in < 5) {
                System.arraycopy(bytes, in, bytes, out, length - in);
                lost = true;
                return out + length - in;
            }
            int recordLength = 5 + ((bytes[in + 3] & 0xff) << 8 | bytes[in + 4] & 0xff);
            if ((bytes[in] & 0xff) == APPLICATION_DATA) {
                skipped += recordLength;
                remainder = recordLength;
            } else {
                keep = recordLength;
            }
        }
        return out;
    }

    /** Bytes of a record kept in the first flight still to come. */
    private int keep;
    /** A record header was cut off: record boundaries are no longer known here. */
    private boolean lost;

    /**
     * Whether this whole record (header and body) is 0-RTT data to drop: the client offered
     * early data, its Finished has not come, the budget is not spent, and the record is
     * application data that does not decrypt under the client's handshake traffic key.
     */
    boolean isEarlyData(byte[] record, int offset, int length, boolean offered, SecurityParameters handshake)
            throws IOException {
        if (!offered || finishedSeen || (record[offset] & 0xff) != APPLICATION_DATA || skipped + length > BUDGET) {
            return false;
        }
        if (handshakeKeys == null) {
            AeadCipher cipher = KeySchedule.cipherOf(handshake.getCipherSuite());
            if (cipher == null || cipher == AeadCipher.AES_128_CCM || handshake.getBaseKeyClient() == null) {
                finishedSeen = true; // cannot tell: offer everything, as before
                return false;
            }
            handshakeKeys = KeySchedule.tls13(handshake.getBaseKeyClient(), handshake.getPRFCryptoHashAlgorithm(),
                    cipher, 0);
        }
        if (decrypts(handshakeKeys, record, offset, length)) {
            finishedSeen = true;
            handshakeKeys.destroy();
            return false;
        }
        skipped += length;
        return true;
    }

    private static boolean decrypts(TrafficKeys keys, byte[] record, int offset, int length) {
        try {
            Cipher aead;
            if (keys.cipher() == AeadCipher.CHACHA20_POLY1305) {
                aead = Cipher.getInstance("ChaCha20-Poly1305");
                aead.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.key(), "ChaCha20"),
                        new IvParameterSpec(keys.iv())); // sequence number 0: the nonce is the IV
            } else {
                aead = Cipher.getInstance("AES/GCM/NoPadding");
                aead.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.key(), "AES"),
                        new GCMParameterSpec(128, keys.iv()));
            }
            aead.updateAAD(record, offset, 5);
            aead.doFinal(record, offset + 5, length - 5);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            return true; // the JDK cannot tell: let BouncyCastle have it
        }
    }
}
