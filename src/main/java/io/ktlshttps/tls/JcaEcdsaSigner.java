package io.ktlshttps.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsSigner;
import org.bouncycastle.tls.crypto.TlsStreamSigner;

/**
 * ECDSA over a hash BouncyCastle has computed (the TLS 1.2 ServerKeyExchange's, the TLS
 * 1.3 CertificateVerify content's), by a JCA provider: "NONEwithECDSA", DER-encoded as TLS
 * wants it. The nonce comes from the provider's own random generator, where BouncyCastle
 * derives it (RFC 6979); either is sound.
 */
final class JcaEcdsaSigner implements TlsSigner {
    private final Provider provider;
    private final PrivateKey key;

    JcaEcdsaSigner(Provider provider, PrivateKey key) {
        this.provider = provider;
        this.key = key;
    }

    @Override
    public byte[] generateRawSignature(SignatureAndHashAlgorithm algorithm, byte[] hash) throws IOException {
        // TLS 1.3's ecdsa_secp256r1_sha256 (0x0403) is TLS 1.2's {sha256, ecdsa}: one check fits both.
        if (algorithm == null || algorithm.getSignature() != SignatureAlgorithm.ecdsa) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "not an ECDSA scheme: " + algorithm);
        }
        try {
            Signature signer = Signature.getInstance("NONEwithECDSA", provider);
            signer.initSign(key);
            signer.update(hash);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "ECDSA signing failed", e);
        }
    }

    @Override
    public TlsStreamSigner getStreamSigner(SignatureAndHashAlgorithm algorithm) {
        return null; // BouncyCastle hashes, then calls generateRawSignature
    }
}
