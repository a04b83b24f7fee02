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
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/** BouncyCastle's low-level TLS client, pinned to one version and one suite. */
public final class BcTestClient implements AutoCloseable {
    private final Socket socket;
    private final HalfClosableOutput output;
    private final TlsClientProtocol protocol;

    private BcTestClient(Socket socket, HalfClosableOutput output, TlsClientProtocol protocol) {
        this.socket = socket;
        this.output = output;
        this.protocol = protocol;
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
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        HalfClosableOutput output = new HalfClosableOutput(socket);
        TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), output);
        try {
            protocol.connect(new PinnedClient(versions, suites, alpn, groups));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return new BcTestClient(socket, output, protocol);
    }

    /**
     * Handshakes on an existing socket and returns; the caller then owns the raw streams
     * (BouncyCastle in blocking mode reads nothing past the server's last handshake record).
     */
    public static void handshakeOn(Socket socket, TestSuites suite) throws IOException {
        socket.setSoTimeout(30_000);
        new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream()).connect(new PinnedClient(
                new ProtocolVersion[] {suite.bcVersion()}, new int[] {suite.bcSuite}, new String[] {"http/1.1"}, null));
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
        private final OutputStream out;
        private volatile boolean shut;

        HalfClosableOutput(Socket socket) throws IOException {
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
