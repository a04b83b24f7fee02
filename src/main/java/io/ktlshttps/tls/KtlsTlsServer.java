package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.KeyExchangeAlgorithm;
import org.bouncycastle.tls.MaxFragmentLength;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.DefaultTlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerContext;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;

/**
 * The BouncyCastle server side: only ECDHE key exchange with AEAD record ciphers (the
 * ones the kernel can carry), ALPN http/1.1 and http/1.0, and a TLS 1.2 key block captured before
 * BouncyCastle destroys the master secret.
 */
final class KtlsTlsServer extends DefaultTlsServer {
    /** ALPN, in our order of preference (RFC 7301 lets the server choose). */
    private static final Vector<ProtocolName> ALPN = new Vector<>(List.of(ProtocolName.HTTP_1_1,
            ProtocolName.asUtf8Encoding("http/1.0")));

    private final TlsServerConfig config;
    /** Read once, so that a reload during this handshake cannot mix two certificates (ServingCredentials). */
    private final ServerCredentials credentials;
    private final SequenceTrackingCrypto crypto;
    private volatile byte[] tls12KeyBlock;
    private volatile boolean closeNotifyReceived;
    private volatile int ecdhGroup = -1;

    KtlsTlsServer(SequenceTrackingCrypto crypto, TlsServerConfig config) {
        super(crypto);
        this.crypto = crypto;
        this.config = config;
        this.credentials = config.credentials();
    }

    @Override
    public ProtocolVersion[] getProtocolVersions() {
        List<ProtocolVersion> versions = new ArrayList<>();
        if (config.versions().contains(TlsVersion.TLS_1_3)) {
            versions.add(ProtocolVersion.TLSv13);
        }
        if (config.versions().contains(TlsVersion.TLS_1_2)) {
            versions.add(ProtocolVersion.TLSv12);
        }
        return versions.toArray(new ProtocolVersion[0]);
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        boolean ec = credentials.keyType() == ServerCredentials.KeyType.EC;
        List<Integer> suites = new ArrayList<>();
        if (config.versions().contains(TlsVersion.TLS_1_3)) {
            add(suites, AeadCipher.AES_128_GCM, CipherSuite.TLS_AES_128_GCM_SHA256);
            add(suites, AeadCipher.AES_256_GCM, CipherSuite.TLS_AES_256_GCM_SHA384);
            add(suites, AeadCipher.CHACHA20_POLY1305, CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
            add(suites, AeadCipher.AES_128_CCM, CipherSuite.TLS_AES_128_CCM_SHA256);
        }
        if (config.versions().contains(TlsVersion.TLS_1_2)) {
            add(suites, AeadCipher.AES_128_GCM, ec ? CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                    : CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
            add(suites, AeadCipher.AES_256_GCM, ec ? CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                    : CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
            add(suites, AeadCipher.CHACHA20_POLY1305, ec ? CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
                    : CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
        }
        return suites.stream().mapToInt(Integer::intValue).toArray();
    }

    private void add(List<Integer> suites, AeadCipher cipher, int suite) {
        if (config.ciphers().contains(cipher)) {
            suites.add(suite);
        }
    }

    /** The key exchange groups we accept: X25519, X448 and the NIST P-curves of 256 bits or more. */
    private static final int[] GROUPS = {NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.x448,
        NamedGroup.secp384r1, NamedGroup.secp521r1};

    /** TLS 1.3: the groups a key share may use. */
    @Override
    public int[] getSupportedGroups() {
        return GROUPS.clone();
    }

    /**
     * TLS 1.2: BouncyCastle would take any group of the client's with enough bits, small
     * binary curves included; only our list will do (testssl.sh found the old behaviour).
     */
    /** Only our groups count when BouncyCastle decides whether an ECDHE suite is possible at all. */
    @Override
    protected int getMaximumNegotiableCurveBits() {
        int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        if (offered == null) {
            return super.getMaximumNegotiableCurveBits();
        }
        int bits = 0;
        for (int group : offered) {
            if (isOurs(group)) {
                bits = Math.max(bits, NamedGroup.getCurveBits(group));
            }
        }
        return bits;
    }

    private static boolean isOurs(int group) {
        for (int ours : GROUPS) {
            if (group == ours) {
                return true;
            }
        }
        return false;
    }

    /**
     * TLS 1.2: an ECDHE_ECDSA suite only where the client can check our certificate's
     * signature. RFC 8422 section 5.1 (as RFC 4492 before it): when the client sends
     * supported_groups, the server must not negotiate an ECC suite unless it can complete
     * the handshake within those curves, and the certificate's key is one of them. A client
     * offering X25519 alone (curl --curves X25519) would otherwise get our P-256
     * certificate, refuse it ("wrong curve") and answer illegal_parameter; with no suite
     * left it gets handshake_failure from us instead, as from nginx. (TLS 1.3 suites name
     * no key exchange, and their signature schemes name the curve: SignatureChoice.)
     */
    @Override
    protected boolean isSelectableCipherSuite(int cipherSuite, int availCurveBits, int availFiniteFieldBits,
            @SuppressWarnings("rawtypes") Vector sigAlgs) {
        if (!super.isSelectableCipherSuite(cipherSuite, availCurveBits, availFiniteFieldBits, sigAlgs)) {
            return false;
        }
        if (TlsUtils.getKeyExchangeAlgorithm(cipherSuite) != KeyExchangeAlgorithm.ECDHE_ECDSA) {
            return true;
        }
        int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        return offered == null || org.bouncycastle.util.Arrays.contains(offered, credentials.ecGroup());
    }

    @Override
    protected int selectECDH(int minimumCurveBits) {
        int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        if (offered == null) {
            ecdhGroup = NamedGroup.secp256r1;
            return ecdhGroup; // RFC 8422 section 4: no extension means the client takes any
        }
        for (int group : offered) {
            if (isOurs(group) && NamedGroup.getCurveBits(group) >= minimumCurveBits) {
                ecdhGroup = group;
                return group;
            }
        }
        return -1;
    }

    /**
     * The TLS 1.2 ECDHE group chosen by {@link #selectECDH}, or -1 (BouncyCastle records
     * the negotiated group only for TLS 1.3).
     */
    int tls12EcdhGroup() {
        return ecdhGroup;
    }

    @Override
    protected Vector<ProtocolName> getProtocolNames() {
        return ALPN;
    }

    /**
     * RFC 7301 section 3.2: a client whose ALPN list has neither http/1.1 nor http/1.0 (h2
     * only, say) gets no_application_protocol.
     */
    @Override
    @SuppressWarnings("rawtypes") // BouncyCastle's signature uses a raw Hashtable
    public void processClientExtensions(java.util.Hashtable clientExtensions) throws IOException {
        super.processClientExtensions(clientExtensions);
        Vector<?> offered = org.bouncycastle.tls.TlsExtensionsUtils.getALPNExtensionClient(clientExtensions);
        if (offered != null && offered.stream().noneMatch(ALPN::contains)) {
            throw new TlsFatalAlert(AlertDescription.no_application_protocol,
                    "the client offers neither http/1.1 nor http/1.0");
        }
        if (maxFragmentLengthOffered >= 0 && !config.acceptMaxFragmentLength()) {
            // RFC 6066 section 4: a server may decline by not echoing the extension; the
            // client then uses (and accepts) records of the full 2^14 bytes.
            maxFragmentLengthOffered = -1;
        }
    }

    /**
     * TLS 1.2 session IDs, only for sessions with an extended master secret (RFC 7627):
     * a session without one is never offered for resumption.
     */
    @Override
    public byte[] getNewSessionID() {
        SessionCache sessions = config.sessions();
        SecurityParameters handshake = context.getSecurityParametersHandshake();
        if (sessions == null || TlsUtils.isTLSv13(handshake.getNegotiatedVersion())
                || !handshake.isExtendedMasterSecret()) {
            return null;
        }
        return sessions.newSessionId();
    }

    /**
     * The cached session, if this client can resume it. BouncyCastle answers some
     * mismatches with an alert (a suite the client no longer offers, a client without the
     * extended master secret) and destroys the cached master secret when it falls back, so
     * every condition is checked here first and a mismatch is simply a full handshake.
     */
    @Override
    public TlsSession getSessionToResume(byte[] sessionID) {
        SessionCache sessions = config.sessions();
        TlsSession session = sessions == null ? null : sessions.get(sessionID);
        if (session == null) {
            return null;
        }
        org.bouncycastle.tls.SessionParameters parameters = session.exportSessionParameters();
        SecurityParameters handshake = context.getSecurityParametersHandshake();
        try {
            boolean clientOffersEms = clientExtensions != null
                    && org.bouncycastle.tls.TlsExtensionsUtils.hasExtendedMasterSecretExtension(clientExtensions);
            if (parameters == null || !parameters.isExtendedMasterSecret() || !clientOffersEms
                    || !parameters.getNegotiatedVersion().equals(handshake.getNegotiatedVersion())
                    || !org.bouncycastle.util.Arrays.contains(offeredCipherSuites, parameters.getCipherSuite())
                    || !org.bouncycastle.util.Arrays.contains(getCipherSuites(), parameters.getCipherSuite())) {
                return null;
            }
        } catch (IOException e) {
            return null; // a malformed extension: no resumption; BouncyCastle reports it itself
        }
        return session;
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        // DefaultTlsServer picks by key exchange, which TLS 1.3 does not have.
        return TlsUtils.isTLSv13(context) ? signer() : super.getCredentials();
    }

    @Override
    protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
        return signer();
    }

    @Override
    protected TlsCredentialedSigner getRSASignerCredentials() throws IOException {
        return signer();
    }

    private TlsCredentialedSigner signer() throws IOException {
        SignatureAndHashAlgorithm algorithm = SignatureChoice.choose(credentials,
                context.getSecurityParametersHandshake().getClientSigAlgs(), TlsUtils.isTLSv13(context));
        JcaEcdsaSigner nativeSigner = credentials.nativeSigner();
        if (nativeSigner != null) {
            return new DefaultTlsCredentialedSigner(new TlsCryptoParameters(context), nativeSigner, certificate(),
                    algorithm);
        }
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto,
                credentials.privateKey(), certificate(), algorithm);
    }

    private Certificate certificate() {
        return credentials.certificateMessage(TlsUtils.isTLSv13(context));
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        SecurityParameters parameters = context.getSecurityParametersConnection();
        AeadCipher cipher = KeySchedule.cipherOf(parameters.getCipherSuite());
        if (cipher == null) {
            throw new TlsFatalAlert(AlertDescription.internal_error, "negotiated a non-AEAD suite");
        }
        if (!TlsUtils.isTLSv13(parameters.getNegotiatedVersion())) {
            // The session (with its own copy of the master secret) exists from here on;
            // a client may already be offering its ID on a new connection.
            TlsSession session = context.getResumableSession();
            if (session != null && !parameters.isResumedSession() && config.sessions() != null) {
                config.sessions().put(session);
            }
            // The master secret is destroyed by cleanupHandshake() as soon as this returns.
            tls12KeyBlock = KeySchedule.tls12KeyBlock(parameters, cipher);
        }
    }

    /**
     * A bare TCP end of stream from the client ends the connection like a close_notify,
     * and BouncyCastle answers it with our close_notify. With the default (true) it would
     * count the EOF as a failure and then refuse to send close_notify at all, so a client
     * that half-closes after its request would never learn that the response was complete.
     * Truncation of a request is HTTP's to detect (the parser needs the whole head and
     * Content-Length), and {@link #closeNotifyReceived()} still tells the two cases apart.
     */
    @Override
    public boolean requiresCloseNotify() {
        return false;
    }

    @Override
    public void notifyAlertReceived(short alertLevel, short alertDescription) {
        super.notifyAlertReceived(alertLevel, alertDescription);
        if (alertDescription == AlertDescription.close_notify) {
            closeNotifyReceived = true;
        }
    }

    /** Whether the client ended with a close_notify (rather than a bare end of stream). */
    boolean closeNotifyReceived() {
        return closeNotifyReceived;
    }

    /**
     * The record size the client asked for with max_fragment_length (RFC 6066) and we
     * agreed to, in bytes of plaintext per record; 0 if none was negotiated.
     */
    static int maxFragmentLength(SecurityParameters parameters) {
        short code = parameters.getMaxFragmentLength();
        return MaxFragmentLength.isValid(code) ? 1 << (8 + code) : 0;
    }

    TlsServerContext context() {
        return context;
    }

    /** The TLS 1.2 key block, or null for TLS 1.3. */
    byte[] tls12KeyBlock() {
        return tls12KeyBlock;
    }
}
