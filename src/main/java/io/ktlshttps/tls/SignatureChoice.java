package io.ktlshttps.tls;

import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.SignatureScheme;
import org.bouncycastle.tls.TlsFatalAlert;

/** Picks the server's signature scheme from what the client offered (RFC 8446 section 4.2.3). */
final class SignatureChoice {
    private SignatureChoice() {
    }

    static SignatureAndHashAlgorithm choose(ServerCredentials credentials, Vector<?> offered, boolean tls13)
            throws TlsFatalAlert {
        List<SignatureAndHashAlgorithm> preferred = preferences(credentials, tls13);
        if (offered == null) {
            // A TLS 1.2 client without signature_algorithms: RFC 5246 section 7.4.1.4.1 lets us pick.
            return preferred.get(0);
        }
        for (SignatureAndHashAlgorithm candidate : preferred) {
            if (offered.contains(candidate)) {
                return candidate;
            }
        }
        throw new TlsFatalAlert(AlertDescription.handshake_failure,
                "the client offers no signature scheme for our " + credentials.keyType() + " key");
    }

    private static List<SignatureAndHashAlgorithm> preferences(ServerCredentials credentials, boolean tls13) {
        if (credentials.keyType() == ServerCredentials.KeyType.EC) {
            // In TLS 1.3 ECDSA schemes name the curve, so only the key's own curve will do.
            if (credentials.ecGroup() == NamedGroup.secp384r1) {
                return List.of(scheme(SignatureScheme.ecdsa_secp384r1_sha384));
            }
            return List.of(scheme(SignatureScheme.ecdsa_secp256r1_sha256));
        }
        if (tls13) {
            return List.of(SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, SignatureAndHashAlgorithm.rsa_pss_rsae_sha384);
        }
        return List.of(SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, scheme(SignatureScheme.rsa_pkcs1_sha256),
                SignatureAndHashAlgorithm.rsa_pss_rsae_sha384, scheme(SignatureScheme.rsa_pkcs1_sha384));
    }

    private static SignatureAndHashAlgorithm scheme(int signatureScheme) {
        return SignatureScheme.getSignatureAndHashAlgorithm(signatureScheme);
    }
}
