package io.ktlshttps.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.Vector;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientContext;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/** BouncyCastle's low-level TLS client, pinned to one version and one suite. */
public final class BcTestClient implements AutoCloseable {
    private final Socket socket;
    private final HalfClosableOutput output;
    private final TlsClientProtocol protocol;
    private final PinnedClient client;

    private BcTestClient(Socket socket, HalfClosableOutput output, TlsClientProtocol protocol, PinnedClient client) {
        this.socket = socket;
        this.output = output;
        this.protocol = protocol;
        this.client = client;
    }

    /** Options that change the protocol: a session to offer, a max_fragment_length to ask for. */
    public static final class Options {
        TlsSession resume;
        short maxFragmentLength = -1;
        boolean finAfterFinished;
        boolean noExtendedMasterSecret;

        /** Leaves out the extended_master_secret extension (RFC 7627), as old clients do. */
        public Options noExtendedMasterSecret() {
            this.noExtendedMasterSecret = true;
            return this;
        }

        /** Offers this session for resumption (TLS 1.2 session ID). */
        public Options resume(TlsSession session) {
            this.resume = session;
            return this;
        }

        /** Asks for max_fragment_length (RFC 6066), a MaxFragmentLength code 1 to 4. */
        public Options maxFragmentLength(short code) {
            this.maxFragmentLength = code;
            return this;
        }

        /**
         * TLS 1.3 only: sends a bare FIN right behind the client's Finished, in the same
         * moment, so it reaches the server before the server can hand the connection to
         * the kernel (which then refuses the half-closed socket with ENOTCONN).
         */
        public Options finAfterFinished() {
            this.finAfterFinished = true;
            return this;
        }
    }

    /** A client for one suite with protocol-changing options. */
    public static BcTestClient connect(int port, TestSuites suite, Options options) throws IOException {
        PinnedClient client = new PinnedClient(new ProtocolVersion[] {suite.bcVersion()}, new int[] {suite.bcSuite},
                new String[] {"http/1.1"}, null);
        client.options = options;
        return open(port, client);
    }

    private static BcTestClient open(int port, PinnedClient client) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        HalfClosableOutput output = new HalfClosableOutput(socket);
        output.finAfterFirstEncryptedRecord = client.options.finAfterFinished;
        TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), output);
        try {
            protocol.connect(client);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return new BcTestClient(socket, output, protocol, client);
    }

    /** The session this connection established (or resumed), to offer on the next one. */
    public TlsSession session() {
        return client.context().getSession();
    }

    /**
     * A copy of a session with its own master secret. BouncyCastle's client destroys the
     * master secret of a session it offered and the server did not resume, and copies made
     * by exportSessionParameters() share it; a test that offers one session twice across
     * such a fallback needs separate copies.
     */
    public static TlsSession copyOf(TlsSession session) throws IOException {
        org.bouncycastle.tls.SessionParameters p = session.exportSessionParameters();
        org.bouncycastle.tls.SessionParameters copy = new org.bouncycastle.tls.SessionParameters.Builder()
                .setCipherSuite(p.getCipherSuite())
                .setExtendedMasterSecret(p.isExtendedMasterSecret())
                .setLocalCertificate(p.getLocalCertificate())
                .setMasterSecret(new BcTlsCrypto(new SecureRandom()).adoptSecret(p.getMasterSecret()))
                .setNegotiatedVersion(p.getNegotiatedVersion())
                .setPeerCertificate(p.getPeerCertificate())
                .setServerExtensions(p.readServerExtensions())
                .build();
        return org.bouncycastle.tls.TlsUtils.importSession(session.getSessionID(), copy);
    }

    /**
     * The record keys as this client derived them: client write key, client write IV,
     * server write key, server write IV (TLS 1.3: from the traffic secrets; TLS 1.2: from
     * the key block, computed while the master secret still lived). An independent view
     * of what the server must have given the kernel.
     */
    public byte[][] keyMaterial() {
        return client.keyMaterial.clone();
    }

    /** What the handshake agreed on. */
    public SecurityParameters securityParameters() {
        return client.context().getSecurityParametersConnection();
    }

    public static BcTestClient connect(int port, TestSuites suite) throws IOException {
        return connect(port, new ProtocolVersion[] {suite.bcVersion()}, new int[] {suite.bcSuite},
                new String[] {"http/1.1"});
    }

    /** A client offering exactly these versions, suites and ALPN names (null: no ALPN extension). */
    public static BcTestClient connect(int port, ProtocolVersion[] versions, int[] suites, String[] alpn)
            throws IOException {
        return connect(port, versions, suites, alpn, null);
    }

    /** As above, offering only these named groups (null: BouncyCastle's defaults). */
    public static BcTestClient connect(int port, ProtocolVersion[] versions, int[] suites, String[] alpn,
            int[] groups) throws IOException {
        return open(port, new PinnedClient(versions, suites, alpn, groups));
    }

    /**
     * Handshakes on an existing socket and returns; the caller then owns the raw streams
     * (BouncyCastle in blocking mode reads nothing past the server's last handshake record).
     */
    public static KeyUpdates handshakeOn(Socket socket, TestSuites suite) throws IOException {
        socket.setSoTimeout(30_000);
        PinnedClient client = new PinnedClient(new ProtocolVersion[] {suite.bcVersion()}, new int[] {suite.bcSuite},
                new String[] {"http/1.1"}, null);
        new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream()).connect(client);
        return new KeyUpdates(client.context().getSecurityParametersConnection(), suite);
    }

    /**
     * The client's TLS 1.3 key schedule after the handshake, from its own traffic secret:
     * the keys of its next generation after a KeyUpdate (RFC 8446 section 7.2), for a raw
     * client that sends a KeyUpdate and then must seal under the new key.
     */
    public static final class KeyUpdates {
        private final SecurityParameters parameters;
        private final TestSuites suite;
        private org.bouncycastle.tls.crypto.TlsSecret clientSecret;

        KeyUpdates(SecurityParameters parameters, TestSuites suite) {
            this.parameters = parameters;
            this.suite = suite;
            this.clientSecret = parameters.getTrafficSecretClient();
        }

        public io.ktlshttps.net.TrafficKeys nextClientKeys() throws IOException {
            int hash = parameters.getPRFCryptoHashAlgorithm();
            clientSecret = org.bouncycastle.tls.crypto.TlsCryptoUtils.hkdfExpandLabel(clientSecret, hash, "traffic upd",
                    org.bouncycastle.tls.TlsUtils.EMPTY_BYTES, parameters.getPRFHashLength());
            byte[] key = org.bouncycastle.tls.crypto.TlsCryptoUtils.hkdfExpandLabel(clientSecret, hash, "key",
                    org.bouncycastle.tls.TlsUtils.EMPTY_BYTES, suite.cipher.keyLength()).extract();
            byte[] iv = org.bouncycastle.tls.crypto.TlsCryptoUtils.hkdfExpandLabel(clientSecret, hash, "iv",
                    org.bouncycastle.tls.TlsUtils.EMPTY_BYTES, 12).extract();
            return new io.ktlshttps.net.TrafficKeys(suite.version, suite.cipher, key, iv, 0);
        }
    }

    public InputStream input() {
        return protocol.getInputStream();
    }

    public OutputStream output() {
        return protocol.getOutputStream();
    }

    /** The raw TCP streams under TLS, for writing crafted records. */
    public OutputStream rawOutput() throws IOException {
        return socket.getOutputStream();
    }

    /**
     * Half-closes the connection the way a plain TCP client does: a bare FIN, no
     * close_notify. Reading goes on; what BouncyCastle later writes (its answer to the
     * server's close_notify) is dropped, as it has nowhere to go.
     */
    public void shutdownOutput() throws IOException {
        output.shut = true;
        socket.shutdownOutput();
    }

    public TlsClientProtocol protocol() {
        return protocol;
    }

    /** Sends close_notify (BouncyCastle's close), then closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            protocol.close();
        } finally {
            socket.close();
        }
    }

    private static final class HalfClosableOutput extends OutputStream {
        private final Socket socket;
        private final OutputStream out;
        private volatile boolean shut;
        /** Sends FIN right after the first record of outer type application_data (TLS 1.3: the client's Finished). */
        private boolean finAfterFirstEncryptedRecord;

        HalfClosableOutput(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!shut) {
                out.write(b, off, len);
                if (finAfterFirstEncryptedRecord && len > 0 && b[off] == 23) {
                    out.flush();
                    shut = true;
                    socket.shutdownOutput();
                }
            }
        }

        @Override
        public void flush() throws IOException {
            if (!shut) {
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    private static final class PinnedClient extends DefaultTlsClient {
        private Options options = new Options();
        private final ProtocolVersion[] versions;
        private final int[] suites;
        private final String[] alpn;
        private final int[] groups;

        PinnedClient(ProtocolVersion[] versions, int[] suites, String[] alpn, int[] groups) {
            super(new BcTlsCrypto(new SecureRandom()));
            this.versions = versions.clone();
            this.suites = suites.clone();
            this.alpn = alpn == null ? null : alpn.clone();
            this.groups = groups == null ? null : groups.clone();
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"}) // BouncyCastle's signature uses raw Vectors
        protected Vector<Integer> getSupportedGroups(Vector namedGroupRoles) {
            if (groups == null) {
                return super.getSupportedGroups(namedGroupRoles);
            }
            Vector<Integer> list = new Vector<>();
            for (int g : groups) {
                list.add(g);
            }
            return list;
        }

        private byte[][] keyMaterial;

        TlsClientContext context() {
            return context;
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            SecurityParameters sp = context.getSecurityParametersConnection();
            int encryption = org.bouncycastle.tls.TlsUtils.getEncryptionAlgorithm(sp.getCipherSuite());
            int keyLength = encryption == org.bouncycastle.tls.EncryptionAlgorithm.AES_128_GCM
                    || encryption == org.bouncycastle.tls.EncryptionAlgorithm.AES_128_CCM ? 16 : 32;
            if (org.bouncycastle.tls.TlsUtils.isTLSv13(sp.getNegotiatedVersion())) {
                keyMaterial = new byte[][] {
                    expand(sp.getTrafficSecretClient(), sp, "key", keyLength),
                    expand(sp.getTrafficSecretClient(), sp, "iv", 12),
                    expand(sp.getTrafficSecretServer(), sp, "key", keyLength),
                    expand(sp.getTrafficSecretServer(), sp, "iv", 12)};
            } else {
                int ivLength = encryption == org.bouncycastle.tls.EncryptionAlgorithm.CHACHA20_POLY1305 ? 12 : 4;
                byte[] block = org.bouncycastle.tls.TlsUtils.PRF(sp, sp.getMasterSecret(),
                        org.bouncycastle.tls.ExporterLabel.key_expansion,
                        org.bouncycastle.util.Arrays.concatenate(sp.getServerRandom(), sp.getClientRandom()),
                        2 * keyLength + 2 * ivLength).extract();
                keyMaterial = new byte[][] {
                    java.util.Arrays.copyOfRange(block, 0, keyLength),
                    java.util.Arrays.copyOfRange(block, 2 * keyLength, 2 * keyLength + ivLength),
                    java.util.Arrays.copyOfRange(block, keyLength, 2 * keyLength),
                    java.util.Arrays.copyOfRange(block, 2 * keyLength + ivLength, 2 * keyLength + 2 * ivLength)};
            }
        }

        private static byte[] expand(org.bouncycastle.tls.crypto.TlsSecret secret, SecurityParameters sp,
                String label, int length) throws IOException {
            return org.bouncycastle.tls.crypto.TlsCryptoUtils.hkdfExpandLabel(secret, sp.getPRFCryptoHashAlgorithm(),
                    label, org.bouncycastle.tls.TlsUtils.EMPTY_BYTES, length).extract();
        }

        @Override
        public boolean shouldUseExtendedMasterSecret() {
            return !options.noExtendedMasterSecret;
        }

        @Override
        public TlsSession getSessionToResume() {
            return options.resume;
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"}) // BouncyCastle's signature uses a raw Hashtable
        public java.util.Hashtable getClientExtensions() throws IOException {
            java.util.Hashtable extensions = super.getClientExtensions();
            if (options.maxFragmentLength > 0) {
                org.bouncycastle.tls.TlsExtensionsUtils.addMaxFragmentLengthExtension(extensions,
                        options.maxFragmentLength);
            }
            return extensions;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return versions.clone();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return suites.clone();
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            if (alpn == null) {
                return null;
            }
            Vector<ProtocolName> names = new Vector<>();
            for (String name : alpn) {
                names.add(ProtocolName.asUtf8Encoding(name));
            }
            return names;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new ServerOnlyTlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) {
                    // Tests pin the server by construction; chain validation is not under test here.
                }
            };
        }
    }
}
