package io.ktlshttps.tls;

import io.ktlshttps.linux.OpenSslX25519;
import java.io.IOException;
import java.util.Arrays;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsSecret;

/**
 * One ephemeral X25519 agreement by {@link NativeKeyExchange}'s OpenSSL, with the checks
 * and alerts of BouncyCastle's own BcX25519: a peer value that is not 32 bytes is an
 * illegal_parameter, an all-zero secret a handshake_failure. The private scalar comes from
 * the handshake's SecureRandom, as in BouncyCastle.
 */
final class NativeX25519Agreement implements TlsAgreement {
    private final BcTlsCrypto crypto;
    private final NativeKeyExchange keyExchange;
    private OpenSslX25519.PrivateKey key;
    private byte[] peerValue;

    NativeX25519Agreement(BcTlsCrypto crypto, NativeKeyExchange keyExchange) {
        this.crypto = crypto;
        this.keyExchange = keyExchange;
    }

    @Override
    public byte[] generateEphemeral() throws IOException {
        byte[] scalar = new byte[OpenSslX25519.KEY_SIZE];
        crypto.getSecureRandom().nextBytes(scalar);
        try {
            key = keyExchange.x25519().privateKey(scalar);
        } catch (IllegalStateException e) {
            throw new TlsFatalAlert(AlertDescription.internal_error, e);
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
        return key.publicKey();
    }

    @Override
    public void receivePeerValue(byte[] peerValue) throws IOException {
        if (peerValue == null || peerValue.length != OpenSslX25519.KEY_SIZE) {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        }
        this.peerValue = peerValue.clone();
    }

    @Override
    public TlsSecret calculateSecret() throws IOException {
        if (key == null || peerValue == null) {
            throw new TlsFatalAlert(AlertDescription.internal_error, new IllegalStateException(
                    "an X25519 secret before the key pair or the peer's value"));
        }
        byte[] secret = new byte[OpenSslX25519.KEY_SIZE];
        try {
            if (!keyExchange.x25519().agree(key, peerValue, secret)) {
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }
            keyExchange.agreed();
            return new BcTlsSecret(crypto, secret); // adopts the array, and destroys it when used
        } catch (IllegalStateException e) {
            throw new TlsFatalAlert(AlertDescription.internal_error, e);
        } finally {
            key.close();
            Arrays.fill(peerValue, (byte) 0);
        }
    }
}
