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
    private final TlsClientProtocol protocol;

    private BcTestClient(Socket socket, TlsClientProtocol protocol) {
        this.socket = socket;
        this.protocol = protocol;
    }

    public static BcTestClient connect(int port, TestSuites suite) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
        protocol.connect(new PinnedClient(suite));
        return new BcTestClient(socket, protocol);
    }

    /**
     * Handshakes on an existing socket and returns; the caller then owns the raw streams
     * (BouncyCastle in blocking mode reads nothing past the server's last handshake record).
     */
    public static void handshakeOn(Socket socket, TestSuites suite) throws IOException {
        socket.setSoTimeout(30_000);
        new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream()).connect(new PinnedClient(suite));
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

    private static final class PinnedClient extends DefaultTlsClient {
        private final TestSuites suite;

        PinnedClient(TestSuites suite) {
            super(new BcTlsCrypto(new SecureRandom()));
            this.suite = suite;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return new ProtocolVersion[] {suite.bcVersion()};
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return new int[] {suite.bcSuite};
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            Vector<ProtocolName> names = new Vector<>();
            names.add(ProtocolName.HTTP_1_1);
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
