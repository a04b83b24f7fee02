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
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.NewSessionTicket;
import org.bouncycastle.tls.ServerName;
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
    /** The client's SessionTicket extension (RFC 5077): null if absent, empty to ask for one. */
    private byte[] offeredTicket;
    private volatile Resumption resumedBy = Resumption.NONE;
    private volatile boolean ticketIssued;
    private volatile boolean ticketRefused;

    /** How a handshake resumed, if it did (reported only when BouncyCastle did resume). */
    enum Resumption {
        NONE, SESSION_ID, TICKET
    }

    KtlsTlsServer(SequenceTrackingCrypto crypto, TlsServerConfig config) {
        this(crypto, config, null);
    }

    /** @param transcript the handshake's messages as the protocol sees them (TLS 1.3 tickets); null for none */
    KtlsTlsServer(SequenceTrackingCrypto crypto, TlsServerConfig config, HandshakeTranscript transcript) {
        super(crypto);
        this.crypto = crypto;
        this.config = config;
        this.credentials = config.credentials();
        this.transcript = transcript;
    }

    private final HandshakeTranscript transcript;
    /** TLS 1.3: the ticket whose PSK getExternalPSK handed to BouncyCastle; null for none. */
    private SessionTickets.State resumption13;
    /** TLS 1.3: the NewSessionTicket message to send once the handshake is done; null for none. */
    private byte[] pendingTicket13;
    /** How far the client's view of a ticket's age may be from ours (RFC 8446 section 8.3's window). */
    static final long TICKET_AGE_WINDOW_MILLIS = 10_000;

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
        // Seen here, before getSessionToResume (TlsServerProtocol.receiveClientHelloMessage
        // calls processClientExtensions, then getSessionToResume with the client's session ID).
        offeredTicket = TlsUtils.getExtensionData(clientExtensions, SESSION_TICKET);
        try {
            earlyDataOffered = TlsUtils.isTLSv13(context)
                    && org.bouncycastle.tls.TlsExtensionsUtils.hasEarlyDataIndication(clientExtensions);
        } catch (IOException e) {
            earlyDataOffered = false; // malformed: BouncyCastle ignores the extension, so do we
        }
    }

    private boolean earlyDataOffered;

    /**
     * TLS 1.3: whether the ClientHello offered early data, which we never accept (our
     * EncryptedExtensions have no early_data): its 0-RTT records are skipped
     * ({@link EarlyDataSkipper}).
     */
    boolean earlyDataOffered() {
        return earlyDataOffered;
    }

    private static final Integer SESSION_TICKET = org.bouncycastle.util.Integers.valueOf(ExtensionType.session_ticket);

    /**
     * TLS 1.2: whether this full handshake issues a ticket (RFC 5077): the client asked
     * (an empty or a refused SessionTicket extension), tickets are on, and the session may
     * be resumed at all (an extended master secret; no max_fragment_length, which a
     * ticket does not carry). Decided once the ServerHello's parameters are.
     */
    private boolean issuesTicket() {
        SecurityParameters handshake = context.getSecurityParametersHandshake();
        return config.tickets() != null && offeredTicket != null && !TlsUtils.isTLSv13(handshake.getNegotiatedVersion())
                && handshake.isExtendedMasterSecret() && maxFragmentLengthOffered < 0;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"}) // BouncyCastle's signature uses a raw Hashtable
    public java.util.Hashtable getServerExtensions() throws IOException {
        java.util.Hashtable extensions = super.getServerExtensions();
        if (issuesTicket()) {
            // RFC 5077 section 3.2: an empty SessionTicket in the ServerHello promises a
            // NewSessionTicket, which BouncyCastle then asks getNewSessionTicket for.
            extensions.put(SESSION_TICKET, TlsUtils.EMPTY_BYTES);
        }
        return extensions;
    }

    /**
     * A resumed handshake sends no NewSessionTicket (BouncyCastle's server goes straight
     * from the ServerHello to its Finished), so it must not promise one: the session's
     * stored extensions may hold the SessionTicket of the full handshake that made it.
     */
    @Override
    @SuppressWarnings("rawtypes") // BouncyCastle's signature uses a raw Hashtable
    public void getServerExtensionsForConnection(java.util.Hashtable serverExtensions) throws IOException {
        super.getServerExtensionsForConnection(serverExtensions);
        if (context.getSecurityParametersHandshake().isResumedSession()) {
            serverExtensions.remove(SESSION_TICKET);
        }
    }

    /**
     * TLS 1.2: the ticket for the session this full handshake made, sealed: called after the
     * client's Finished and before ours, while the master secret still lives.
     */
    @Override
    public NewSessionTicket getNewSessionTicket() throws IOException {
        SessionTickets tickets = config.tickets();
        SecurityParameters handshake = context.getSecurityParametersHandshake();
        byte[] masterSecret = crypto.adoptSecret(handshake.getMasterSecret()).extract();
        try {
            byte[] ticket = tickets.seal(new SessionTickets.State(ProtocolVersion.TLSv12.getFullVersion(),
                    handshake.getCipherSuite(), true, masterSecret, serverName(handshake), alpn(), tickets.nowMillis(), 0));
            ticketIssued = true;
            return new NewSessionTicket(tickets.lifetime().toSeconds(), ticket);
        } finally {
            java.util.Arrays.fill(masterSecret, (byte) 0);
        }
    }

    /** The host name the client asked for by SNI, "" for none. */
    private static String serverName(SecurityParameters parameters) {
        return hostName(parameters.getClientServerNames());
    }

    /** The ALPN protocol agreed for this connection, "" for none (selected when the extensions were read). */
    private String alpn() {
        return selectedProtocolName == null ? "" : selectedProtocolName.getUtf8Decoding();
    }

    /**
     * TLS 1.2: the session in the client's ticket, if it may be resumed here exactly as it
     * was made: same version and suite (still offered by both), an extended master
     * secret, the same SNI and ALPN, within its lifetime. Anything else is a full
     * handshake (with a new ticket), never an alert. The client must send a session ID
     * with its ticket: our echo of it is how it learns that the ticket was accepted
     * (RFC 5077 section 3.4), so BouncyCastle resumes under that ID.
     */
    private TlsSession ticketSession(byte[] sessionID) {
        SessionTickets tickets = config.tickets();
        if (tickets == null || offeredTicket == null || offeredTicket.length == 0 || sessionID == null
                || sessionID.length == 0) {
            return null;
        }
        SessionTickets.State state = tickets.open(offeredTicket);
        if (state == null) {
            ticketRefused = true;
            return null;
        }
        try {
            SecurityParameters handshake = context.getSecurityParametersHandshake();
            boolean clientOffersEms = org.bouncycastle.tls.TlsExtensionsUtils
                    .hasExtendedMasterSecretExtension(clientExtensions);
            if (state.version() != ProtocolVersion.TLSv12.getFullVersion()
                    || !ProtocolVersion.TLSv12.equals(handshake.getNegotiatedVersion())
                    || !state.extendedMasterSecret() || !clientOffersEms
                    || !org.bouncycastle.util.Arrays.contains(offeredCipherSuites, state.cipherSuite())
                    || !org.bouncycastle.util.Arrays.contains(getCipherSuites(), state.cipherSuite())
                    || !state.serverName().equals(serverName(handshake)) || !state.alpn().equals(alpn())) {
                ticketRefused = true;
                return null;
            }
            org.bouncycastle.tls.SessionParameters parameters = new org.bouncycastle.tls.SessionParameters.Builder()
                    .setCipherSuite(state.cipherSuite())
                    .setExtendedMasterSecret(true)
                    .setMasterSecret(crypto.createSecret(state.secret()))
                    .setNegotiatedVersion(ProtocolVersion.TLSv12)
                    .setLocalCertificate(certificate())
                    .build();
            return TlsUtils.importSession(sessionID, parameters);
        } catch (IOException e) {
            ticketRefused = true;
            return null; // a malformed extension: no resumption; BouncyCastle reports it itself
        } finally {
            java.util.Arrays.fill(state.secret(), (byte) 0);
        }
    }

    /**
     * TLS 1.3 resumption: BouncyCastle asks for an "external" PSK with the identities the
     * client offered (TlsUtils.selectPreSharedKey, psk_dhe_ke only), before
     * processClientExtensions. Each identity is tried as a ticket of ours; the first one that
     * opens, is TLS 1.3, names a suite both sides still have (and, after a HelloRetryRequest,
     * the suite already chosen), the same SNI and the ALPN protocol this ClientHello would
     * get, whose age the client sees within {@link #TICKET_AGE_WINDOW_MILLIS} of ours, and
     * whose binder verifies with the resumption label, is handed over. Anything else: null,
     * a full handshake.
     *
     * <p>Two things make BouncyCastle take it: the binder key is derived with "res binder"
     * ({@link ResumptionBinderSecret}), and the offered identity is replaced in the vector
     * (which is OfferedPsks' own, getIdentities()) by one with an obfuscated age of 0,
     * since selectPreSharedKey looks for {@code new PskIdentity(identity, 0L)} and
     * PskIdentity.equals compares the age too. The binder is checked here first, by the
     * JDK, so that BouncyCastle never fails it (it would answer decrypt_error).
     */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"}) // BouncyCastle's signature uses a raw Vector
    public org.bouncycastle.tls.TlsPSKExternal getExternalPSK(Vector identities) {
        resumption13 = null;
        SessionTickets tickets = config.tickets();
        if (tickets == null || !tickets.tls13() || transcript == null || identities == null) {
            return null;
        }
        byte[] hello = transcript.lastClientHello();
        if (hello == null) {
            return null;
        }
        org.bouncycastle.tls.ClientHello clientHello;
        java.util.Hashtable helloExtensions;
        org.bouncycastle.tls.OfferedPsks offered;
        String sni;
        String alpn;
        try {
            clientHello = org.bouncycastle.tls.ClientHello.parse(
                    new java.io.ByteArrayInputStream(hello, 4, hello.length - 4), null);
            helloExtensions = clientHello.getExtensions();
            offered = org.bouncycastle.tls.TlsExtensionsUtils.getPreSharedKeyClientHello(helloExtensions);
            sni = hostName(org.bouncycastle.tls.TlsExtensionsUtils.getServerNameExtensionClient(helloExtensions));
            alpn = alpnFor(org.bouncycastle.tls.TlsExtensionsUtils.getALPNExtensionClient(helloExtensions));
        } catch (IOException | RuntimeException e) {
            return null; // BouncyCastle parses it too, and says what is wrong
        }
        if (offered == null || offered.getBinders() == null || offered.getBinders().size() != identities.size()) {
            return null;
        }
        SecurityParameters handshake = context.getSecurityParametersHandshake();
        boolean retried = transcript.retried();
        for (int i = 0; i < identities.size(); i++) {
            org.bouncycastle.tls.PskIdentity identity = (org.bouncycastle.tls.PskIdentity) identities.elementAt(i);
            SessionTickets.State state = tickets.open(identity.getIdentity());
            if (state == null) {
                ticketRefused = true;
                continue;
            }
            long clientAge = (identity.getObfuscatedTicketAge() - state.ageAdd()) & 0xFFFF_FFFFL;
            long serverAge = tickets.nowMillis() - state.createdMillis();
            boolean usable = state.version() == ProtocolVersion.TLSv13.getFullVersion()
                    && org.bouncycastle.util.Arrays.contains(clientHello.getCipherSuites(), state.cipherSuite())
                    && org.bouncycastle.util.Arrays.contains(getCipherSuites(), state.cipherSuite())
                    && (!retried || handshake.getCipherSuite() == state.cipherSuite())
                    && state.serverName().equals(sni) && state.alpn().equals(alpn)
                    && Math.abs(clientAge - serverAge) <= TICKET_AGE_WINDOW_MILLIS;
            if (usable) {
                String hash = Tls13Hkdf.hashOf(state.cipherSuite());
                byte[] expected = Tls13Hkdf.resumptionBinder(hash, state.secret(),
                        transcript.hash(hash, offered.getBindersSize()));
                usable = java.security.MessageDigest.isEqual(expected, (byte[]) offered.getBinders().elementAt(i));
            }
            if (!usable) {
                ticketRefused = true;
                java.util.Arrays.fill(state.secret(), (byte) 0);
                continue;
            }
            identities.setElementAt(new org.bouncycastle.tls.PskIdentity(identity.getIdentity(), 0L), i);
            resumption13 = state;
            int prf = state.cipherSuite() == CipherSuite.TLS_AES_256_GCM_SHA384
                    ? org.bouncycastle.tls.PRFAlgorithm.tls13_hkdf_sha384 : org.bouncycastle.tls.PRFAlgorithm.tls13_hkdf_sha256;
            org.bouncycastle.tls.crypto.TlsSecret psk = crypto.createSecret(state.secret());
            java.util.Arrays.fill(state.secret(), (byte) 0);
            return new org.bouncycastle.tls.BasicTlsPSKExternal(identity.getIdentity(), psk, prf);
        }
        return null;
    }

    /**
     * With a ticket's PSK, the ticket's suite: BouncyCastle chooses the suite after the PSK
     * and without regard to its hash (TlsServerProtocol.generate13ServerHello: "TODO[tls13]
     * Constrain selection when PSK selected").
     */
    @Override
    public int getSelectedCipherSuite() throws IOException {
        if (resumption13 != null && selectCipherSuite(resumption13.cipherSuite())) {
            return resumption13.cipherSuite();
        }
        return super.getSelectedCipherSuite();
    }

    private static String hostName(Vector<?> names) {
        if (names != null) {
            for (Object o : names) {
                ServerName name = (ServerName) o;
                if (name.getNameType() == NameType.host_name) {
                    return new String(name.getNameData(), java.nio.charset.StandardCharsets.US_ASCII);
                }
            }
        }
        return "";
    }

    /** The ALPN protocol we would agree to for this offer, "" for none (AbstractTlsServer.selectProtocolName's rule). */
    private static String alpnFor(Vector<?> offered) {
        if (offered == null) {
            return "";
        }
        for (ProtocolName ours : ALPN) {
            if (offered.contains(ours)) {
                return ours.getUtf8Decoding();
            }
        }
        return "";
    }

    /**
     * TLS 1.3: the NewSessionTicket for this handshake (RFC 8446 section 4.6.1), made once
     * the client's Finished is in: resumption_master_secret = Derive-Secret(master_secret,
     * "res master", Transcript-Hash(ClientHello..client Finished)) from our own transcript,
     * the PSK = HKDF-Expand-Label(it, "resumption", nonce), sealed in the ticket with the
     * suite, SNI, ALPN, time and age_add. No early_data extension: no 0-RTT.
     */
    private void makeTls13Ticket(SecurityParameters parameters) throws IOException {
        SessionTickets tickets = config.tickets();
        transcript.close();
        java.util.List<byte[]> messages = transcript.messages();
        if (messages.isEmpty() || (messages.get(messages.size() - 1)[0] & 0xFF) != HandshakeTranscript.FINISHED) {
            return; // not the transcript we expect: no ticket rather than a wrong one
        }
        int suite = parameters.getCipherSuite();
        int hash = parameters.getPRFCryptoHashAlgorithm();
        int length = parameters.getPRFHashLength();
        byte[] transcriptHash = transcript.hash(Tls13Hkdf.hashOf(suite), 0);
        byte[] nonce = {0}; // one ticket per connection
        org.bouncycastle.tls.crypto.TlsSecret resumptionMaster = org.bouncycastle.tls.crypto.TlsCryptoUtils
                .hkdfExpandLabel(parameters.getMasterSecret(), hash, "res master", transcriptHash, length);
        byte[] psk = org.bouncycastle.tls.crypto.TlsCryptoUtils
                .hkdfExpandLabel(resumptionMaster, hash, "resumption", nonce, length).extract();
        resumptionMaster.destroy();
        long ageAdd = crypto.getSecureRandom().nextInt() & 0xFFFF_FFFFL;
        byte[] ticket;
        try {
            ticket = tickets.seal(new SessionTickets.State(ProtocolVersion.TLSv13.getFullVersion(), suite, true, psk,
                    serverName(parameters), alpn(), tickets.nowMillis(), ageAdd));
        } finally {
            java.util.Arrays.fill(psk, (byte) 0);
        }
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(ticket.length + 16);
        TlsUtils.writeUint32(Math.min(tickets.lifetime().toSeconds(), 604_800), body); // at most 7 days
        TlsUtils.writeUint32(ageAdd, body);
        TlsUtils.writeOpaque8(nonce, body);
        TlsUtils.writeOpaque16(ticket, body);
        TlsUtils.writeUint16(0, body); // no extensions
        byte[] message = new byte[4 + body.size()];
        message[0] = (byte) org.bouncycastle.tls.HandshakeType.new_session_ticket;
        TlsUtils.writeUint24(body.size(), message, 1);
        System.arraycopy(body.toByteArray(), 0, message, 4, body.size());
        pendingTicket13 = message;
        ticketIssued = true;
    }

    /** TLS 1.3: the NewSessionTicket message to send now, once; null for none. */
    byte[] takeTls13Ticket() {
        byte[] message = pendingTicket13;
        pendingTicket13 = null;
        return message;
    }

    /**
     * Whether the ServerHello we sent selected a PSK (its pre_shared_key extension): the
     * proof that BouncyCastle did take the ticket, since it reports resumedSession=false
     * for every TLS 1.3 handshake.
     */
    private boolean serverHelloSelectedPsk() {
        for (byte[] m : transcript.messages()) {
            if ((m[0] & 0xFF) == HandshakeTranscript.SERVER_HELLO) {
                try {
                    int at = 4 + 2 + 32;
                    at += 1 + (m[at] & 0xFF); // legacy_session_id_echo
                    at += 2 + 1; // cipher_suite, legacy_compression_method
                    int end = at + 2 + (((m[at] & 0xFF) << 8) | (m[at + 1] & 0xFF));
                    at += 2;
                    boolean found = false;
                    while (at + 4 <= end) {
                        int type = ((m[at] & 0xFF) << 8) | (m[at + 1] & 0xFF);
                        int len = ((m[at + 2] & 0xFF) << 8) | (m[at + 3] & 0xFF);
                        found |= type == ExtensionType.pre_shared_key;
                        at += 4 + len;
                    }
                    if (found || !transcript.retried()) {
                        return found; // after a HelloRetryRequest the real ServerHello is the second one
                    }
                } catch (ArrayIndexOutOfBoundsException e) {
                    return false;
                }
            }
        }
        return false;
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
        if (issuesTicket()) {
            // As OpenSSL: a session with a ticket gets no session ID, so it takes no room in
            // the cache; the client resumes by its ticket (and a session ID of its own).
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
        TlsSession fromTicket = ticketSession(sessionID);
        if (fromTicket != null) {
            resumedBy = Resumption.TICKET;
            return fromTicket;
        }
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
        resumedBy = Resumption.SESSION_ID;
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
        if (TlsUtils.isTLSv13(parameters.getNegotiatedVersion()) && transcript != null) {
            if (resumption13 != null && serverHelloSelectedPsk()) {
                resumedBy = Resumption.TICKET;
            }
            if (config.tickets() != null && config.tickets().tls13()) {
                makeTls13Ticket(parameters);
            }
        }
        if (transcript != null) {
            transcript.release(); // TLS 1.2 needs none; TLS 1.3's is used by now
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

    /** How the handshake was resumed, if BouncyCastle resumed it; NONE before getSessionToResume. */
    Resumption resumedBy() {
        return resumedBy;
    }

    /** Whether a NewSessionTicket went out in this handshake. */
    boolean ticketIssued() {
        return ticketIssued;
    }

    /** Whether the client offered a ticket that could not be used (a full handshake followed). */
    boolean ticketRefused() {
        return ticketRefused;
    }

    /** The TLS 1.2 key block, or null for TLS 1.3. */
    byte[] tls12KeyBlock() {
        return tls12KeyBlock;
    }
}
