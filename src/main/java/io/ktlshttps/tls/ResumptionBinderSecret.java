package io.ktlshttps.tls;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsSecret;

/**
 * A TLS 1.3 early secret whose PSK binder key is the resumption one.
 *
 * <p>BouncyCastle 1.84's server accepts a PSK only through {@code TlsServer.getExternalPSK},
 * and {@code TlsUtils.selectPreSharedKey} then checks the binder with
 * {@code calculatePSKBinder(crypto, isExternalPSK = true, ...)}: binder_key =
 * Derive-Secret(early_secret, "ext binder", ""). A ticket's PSK is a resumption PSK, whose
 * binder key is Derive-Secret(early_secret, "res binder", "") (RFC 8446 section 7.1), and
 * every client computes it so. The early secret is
 * {@code crypto.hkdfInit(hash).hkdfExtract(hash, psk)} ({@code TlsUtils.getPSKEarlySecret}),
 * and Derive-Secret is {@code secret.hkdfExpand(hash, HkdfLabel, length)}
 * ({@code TlsCryptoUtils.hkdfExpandLabel}). So {@link SequenceTrackingCrypto#hkdfInit}
 * returns this class, whose {@code hkdfExtract} returns this class again (the early
 * secret), whose {@code hkdfExpand} reads "tls13 ext binder" in an HkdfLabel as
 * "tls13 res binder" (same length). Everything else passes through, and every other
 * secret (handshake, master, traffic) is a plain BcTlsSecret. This server has no external
 * PSKs, so nothing else ever asks for "ext binder".
 *
 * <p>A subclass of BcTlsSecret, not a wrapper: BcTlsSecret.convert accepts only its own
 * kind where a secret is an HKDF input (the all-zero secret is one).
 */
final class ResumptionBinderSecret extends BcTlsSecret {
    private static final byte[] EXTERNAL = "tls13 ext binder".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESUMPTION = "tls13 res binder".getBytes(StandardCharsets.US_ASCII);

    ResumptionBinderSecret(BcTlsCrypto crypto, byte[] data) {
        super(crypto, data);
    }

    @Override
    public synchronized TlsSecret hkdfExtract(int cryptoHashAlgorithm, TlsSecret ikm) {
        TlsSecret prk = super.hkdfExtract(cryptoHashAlgorithm, ikm);
        return new ResumptionBinderSecret(crypto, prk.extract());
    }

    @Override
    public synchronized TlsSecret hkdfExpand(int cryptoHashAlgorithm, byte[] info, int length) {
        return super.hkdfExpand(cryptoHashAlgorithm, relabel(info), length);
    }

    /** An HkdfLabel (uint16 length, opaque label<7..255>, opaque context<0..255>) with "ext binder" read as "res binder". */
    static byte[] relabel(byte[] info) {
        if (info == null || info.length < 3 + EXTERNAL.length || (info[2] & 0xFF) != EXTERNAL.length
                || !java.util.Arrays.equals(info, 3, 3 + EXTERNAL.length, EXTERNAL, 0, EXTERNAL.length)) {
            return info;
        }
        byte[] copy = info.clone();
        System.arraycopy(RESUMPTION, 0, copy, 3, RESUMPTION.length);
        return copy;
    }
}
