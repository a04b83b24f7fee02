package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.KeyUpdateSource;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.net.TrafficKeys;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsSecret;

/**
 * A finished server handshake, before anyone has chosen who does the record layer. Use
 * it one of two ways: {@link #userSpace} keeps BouncyCastle's records, and
 * {@link #handOffToKernel} moves the connection to the kernel. The second may follow the
 * first at any record boundary: the sequence numbers go along.
 */
public final class EstablishedTls {
    private final KtlsServerProtocol protocol;
    private final KtlsTlsServer server;
    private final SequenceTrackingCrypto crypto;
    private final TlsVersion version;
    private final AeadCipher cipher;
    private final boolean resumed;
    private final int maxFragmentLength;
    private final String group;
    /** The transport the handshake ran over: user-space records go on over it. */
    private final InputStream in;
    private final OutputStream out;
    private boolean handedOff;
    /** The user-space channel, once {@link #userSpace} made one: it may hold records read and not yet offered. */
    private UserSpaceTlsChannel userSpace;

    EstablishedTls(KtlsServerProtocol protocol, KtlsTlsServer server, SequenceTrackingCrypto crypto, InputStream in,
            OutputStream out) {
        this.protocol = protocol;
        this.in = in;
        this.out = out;
        this.server = server;
        this.crypto = crypto;
        SecurityParameters parameters = server.context().getSecurityParametersConnection();
        this.version = TlsUtils.isTLSv13(parameters.getNegotiatedVersion()) ? TlsVersion.TLS_1_3 : TlsVersion.TLS_1_2;
        this.cipher = KeySchedule.cipherOf(parameters.getCipherSuite());
        // BouncyCastle reports resumedSession=false for every TLS 1.3 handshake, a ticket's PSK included.
        this.resumed = parameters.isResumedSession()
                || (version == TlsVersion.TLS_1_3 && server.resumedBy() == KtlsTlsServer.Resumption.TICKET);
        this.maxFragmentLength = KtlsTlsServer.maxFragmentLength(parameters);
        int named = version == TlsVersion.TLS_1_3 ? parameters.getNegotiatedGroup()
                : resumed ? -1 : server.tls12EcdhGroup();
        String name = named < 0 ? "none" : org.bouncycastle.tls.NamedGroup.getStandardName(named);
        this.group = name == null ? "unknown" : name.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The key exchange group of this handshake (RFC 8446 / IANA name, e.g. "x25519",
     * "secp256r1"), or "none" where there was no key exchange (a resumed TLS 1.2 session).
     */
    public String group() {
        return group;
    }

    /** True for an abbreviated handshake that resumed a session (by session ID or ticket). */
    public boolean resumed() {
        return resumed;
    }

    /** How it resumed: "ticket" or "session_id"; null for a full handshake. */
    public String resumedBy() {
        if (!resumed) {
            return null;
        }
        return server.resumedBy() == KtlsTlsServer.Resumption.TICKET ? "ticket" : "session_id";
    }

    /** Session tickets sent in this handshake (0 or 1). */
    public int ticketsIssued() {
        return server.ticketIssued() ? 1 : 0;
    }

    /** Whether the client offered a ticket we could not use, so that the handshake was a full one. */
    public boolean ticketRefused() {
        return !resumed && server.ticketRefused();
    }

    /**
     * The largest record plaintext the client agreed to receive (max_fragment_length,
     * RFC 6066), or 0 when no limit was negotiated (2^14 bytes).
     */
    public int maxFragmentLength() {
        return maxFragmentLength;
    }

    /**
     * Ends the connection with a fatal alert, sent by BouncyCastle under the current
     * keys: for a connection that may be served neither in the kernel nor in user space.
     */
    public void refuse(int alertDescription, String reason) throws IOException {
        checkNotHandedOff();
        try {
            protocol.fail((short) alertDescription, reason);
        } finally {
            HandshakeDriver.send(protocol, out);
        }
    }

    public TlsVersion version() {
        return version;
    }

    public AeadCipher cipher() {
        return cipher;
    }

    /** The ALPN protocol agreed on, or null if the client offered none. */
    public String applicationProtocol() {
        SecurityParameters parameters = server.context().getSecurityParametersConnection();
        return parameters.getApplicationProtocol() == null ? null : parameters.getApplicationProtocol().getUtf8Decoding();
    }

    /**
     * Both directions' keys and next sequence numbers as of now. Any BouncyCastle I/O
     * afterwards moves the counters on and makes them stale.
     */
    public SessionKeys exportKeys() throws IOException {
        SequenceTrackingCipher tracker = crypto.currentCipher();
        long readSequence = tracker.nextReadSequence();
        long writeSequence = tracker.nextWriteSequence();
        SecurityParameters parameters = server.context().getSecurityParametersConnection();
        if (version == TlsVersion.TLS_1_3) {
            int hash = parameters.getPRFCryptoHashAlgorithm();
            TrafficKeys receive = KeySchedule.tls13(parameters.getTrafficSecretClient(), hash, cipher, readSequence);
            TrafficKeys transmit = KeySchedule.tls13(parameters.getTrafficSecretServer(), hash, cipher, writeSequence);
            return new SessionKeys(receive, transmit);
        }
        byte[] keyBlock = server.tls12KeyBlock();
        return new SessionKeys(KeySchedule.tls12(keyBlock, cipher, true, readSequence),
                KeySchedule.tls12(keyBlock, cipher, false, writeSequence));
    }

    /** Continues in user space: BouncyCastle does the records. */
    public UserSpaceTlsChannel userSpace(Closeable transport) {
        checkNotHandedOff();
        userSpace = new UserSpaceTlsChannel(protocol, server, in, out, transport, version, cipher);
        return userSpace;
    }

    /**
     * Moves the record layer into the kernel: installs TLS_TX and TLS_RX with the current
     * keys and sequence numbers. Records the client sent that BouncyCastle has not read
     * stay in the socket and the kernel decrypts them; plaintext BouncyCastle decrypted but
     * nobody read yet is handed to the channel. From here on BouncyCastle must not touch
     * the connection (its close() would encrypt with stale state).
     *
     * @throws io.ktlshttps.net.KernelTlsInstallException if the kernel refused; if its
     *         {@code fallbackPossible()} holds, {@link #userSpace} still works
     */
    public KernelTlsChannel handOffToKernel(NativeSocket socket) throws IOException {
        checkNotHandedOff();
        if (userSpace != null && !userSpace.offerPendingForHandoff()) {
            // User-space records read part of a record from the socket: the kernel would see
            // the rest without its start. User space still has it.
            throw io.ktlshttps.net.KernelTlsInstallException.beforeInstall(
                    "part of a record was read ahead of the kernel");
        }
        SessionKeys keys = exportKeys();
        KernelTlsChannel channel;
        try {
            channel = KernelTlsChannel.install(socket, keys,
                    keyUpdateSource(), maxFragmentLength);
        } finally {
            keys.destroy();
        }
        handedOff = true;
        int buffered = protocol.applicationDataAvailable();
        if (buffered > 0) {
            byte[] plaintext = new byte[buffered];
            int n = protocol.readApplicationData(plaintext, 0, buffered); // from memory, no socket I/O
            channel.prependPlaintext(java.util.Arrays.copyOf(plaintext, n));
        }
        return channel;
    }

    /**
     * What a kernel channel keeps of this handshake for TLS 1.3 key updates (null for TLS
     * 1.2, which has none): the next generation of both application traffic secrets, and
     * nothing else. It must not reach the protocol, its crypto or its record ciphers: an
     * idle kernel TLS connection would otherwise keep all of BouncyCastle's state (about
     * 10 KiB of heap) for as long as it stays open.
     */
    KeyUpdateSource keyUpdateSource() throws IOException {
        if (version != TlsVersion.TLS_1_3) {
            return null;
        }
        SecurityParameters parameters = server.context().getSecurityParametersConnection();
        int hash = parameters.getPRFCryptoHashAlgorithm();
        int hashLength = parameters.getPRFHashLength();
        return new Tls13KeyUpdates(hash, hashLength, cipher,
                detached(KeySchedule.nextTrafficSecret(parameters.getTrafficSecretClient(), hash, hashLength)),
                detached(KeySchedule.nextTrafficSecret(parameters.getTrafficSecretServer(), hash, hashLength)));
    }

    /**
     * The same secret, made by {@link TlsHandshake#SHARED_CRYPTO}: one derived by
     * BouncyCastle keeps a reference to this connection's crypto, and through it to the
     * record ciphers. The argument is destroyed. (BouncyCastle's TlsSecret has no copy
     * that leaves the original alive: that is why the caller derives the next generation
     * first and this takes that one.)
     */
    private static TlsSecret detached(TlsSecret secret) {
        byte[] bytes = secret.extract();
        try {
            return TlsHandshake.SHARED_CRYPTO.createSecret(bytes);
        } finally {
            java.util.Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * The TLS 1.3 key schedule past the handoff: each KeyUpdate moves one direction to the
     * next application traffic secret. Static, so that it holds only what it names: each
     * direction's secret of the generation after the one in use.
     */
    private static final class Tls13KeyUpdates implements KeyUpdateSource {
        private final int hash;
        private final int hashLength;
        private final AeadCipher cipher;
        private TlsSecret nextClient;
        private TlsSecret nextServer;

        Tls13KeyUpdates(int hash, int hashLength, AeadCipher cipher, TlsSecret nextClient, TlsSecret nextServer) {
            this.hash = hash;
            this.hashLength = hashLength;
            this.cipher = cipher;
            this.nextClient = nextClient;
            this.nextServer = nextServer;
        }

        @Override
        public synchronized TrafficKeys nextReceiveKeys() throws IOException {
            TrafficKeys keys = KeySchedule.tls13(nextClient, hash, cipher, 0);
            nextClient = advance(nextClient);
            return keys;
        }

        @Override
        public synchronized TrafficKeys nextTransmitKeys() throws IOException {
            TrafficKeys keys = KeySchedule.tls13(nextServer, hash, cipher, 0);
            nextServer = advance(nextServer);
            return keys;
        }

        /** The generation after this one; this one is destroyed, as nothing needs it any more. */
        private TlsSecret advance(TlsSecret secret) throws IOException {
            TlsSecret following = KeySchedule.nextTrafficSecret(secret, hash, hashLength);
            secret.destroy();
            return following;
        }
    }

    private void checkNotHandedOff() {
        if (handedOff) {
            throw new IllegalStateException("the connection was handed to the kernel");
        }
    }
}
