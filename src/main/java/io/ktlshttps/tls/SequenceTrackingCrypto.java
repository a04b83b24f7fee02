package io.ktlshttps.tls;

import java.io.IOException;
import java.security.SecureRandom;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * BouncyCastle's lightweight crypto (which has ChaCha20-Poly1305 and RSASSA-PSS without a
 * JCA provider), with AES-GCM records and SHA-2 computed by the JDK, X25519 by OpenSSL where
 * {@link NativeKeyExchange} has it, and every record cipher
 * wrapped to track sequence numbers. One instance
 * per connection: the most recent cipher is the one protecting application data.
 */
final class SequenceTrackingCrypto extends BcTlsCrypto {
    private final NativeKeyExchange keyExchange;
    private volatile SequenceTrackingCipher current;

    SequenceTrackingCrypto(SecureRandom random) {
        this(random, NativeKeyExchange.off());
    }

    SequenceTrackingCrypto(SecureRandom random, NativeKeyExchange keyExchange) {
        this(random, keyExchange, true);
    }

    /** @param resumptionBinders false only for tests: BouncyCastle's own "ext binder", as if its internals had changed */
    SequenceTrackingCrypto(SecureRandom random, NativeKeyExchange keyExchange, boolean resumptionBinders) {
        super(random);
        this.keyExchange = keyExchange;
        this.resumptionBinders = resumptionBinders;
    }

    private final boolean resumptionBinders;

    /** X25519 by OpenSSL where {@link NativeKeyExchange} has it; other groups as BouncyCastle has them. */
    @Override
    public TlsECDomain createECDomain(TlsECConfig ecConfig) {
        if (keyExchange.x25519() != null && ecConfig.getNamedGroup() == NamedGroup.x25519) {
            return () -> new NativeX25519Agreement(this, keyExchange);
        }
        return super.createECDomain(ecConfig);
    }

    @Override
    public TlsCipher createCipher(TlsCryptoParameters parameters, int encryptionAlgorithm, int macAlgorithm)
            throws IOException {
        SequenceTrackingCipher cipher = new SequenceTrackingCipher(
                super.createCipher(parameters, encryptionAlgorithm, macAlgorithm));
        current = cipher;
        return cipher;
    }

    /** AES-GCM records by the JDK's intrinsics rather than BouncyCastle's pure-Java engine. */
    @Override
    protected org.bouncycastle.crypto.modes.AEADBlockCipher createAEADBlockCipher_AES_GCM() {
        return new JcaAesGcm();
    }

    /** SHA-2 by the JDK's intrinsics ({@link JcaDigest}); anything else as BouncyCastle has it. */
    @Override
    public org.bouncycastle.crypto.Digest createDigest(int cryptoHashAlgorithm) {
        JcaDigest digest = JcaDigest.create(cryptoHashAlgorithm);
        return digest != null ? digest : super.createDigest(cryptoHashAlgorithm);
    }

    @Override
    public org.bouncycastle.crypto.Digest cloneDigest(int cryptoHashAlgorithm, org.bouncycastle.crypto.Digest digest) {
        return digest instanceof JcaDigest jca ? (JcaDigest) jca.copy() : super.cloneDigest(cryptoHashAlgorithm, digest);
    }

    /**
     * TLS 1.3's all-zero HKDF salt, of a kind whose early secret derives the resumption
     * binder key: {@link ResumptionBinderSecret}.
     */
    @Override
    public org.bouncycastle.tls.crypto.TlsSecret hkdfInit(int cryptoHashAlgorithm) {
        if (!resumptionBinders) {
            return super.hkdfInit(cryptoHashAlgorithm);
        }
        return new ResumptionBinderSecret(this,
                new byte[org.bouncycastle.tls.crypto.TlsCryptoUtils.getHashOutputSize(cryptoHashAlgorithm)]);
    }

    /** The cipher created last, or null before the first one. */
    SequenceTrackingCipher currentCipher() {
        return current;
    }
}
