package io.ktlshttps.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import javax.net.ssl.SSLSocket;

/** One client connection, whichever implementation: plaintext in and out. */
public interface ClientConnection extends AutoCloseable {
    InputStream input();

    OutputStream output();

    @Override
    void close() throws IOException;

    static ClientConnection open(ClientKind kind, int port, TestSuites suite) throws Exception {
        switch (kind) {
            case BOUNCY_CASTLE: {
                BcTestClient client = BcTestClient.connect(port, suite);
                return new Simple(client.input(), client.output(), client::close);
            }
            case JDK: {
                SSLSocket socket = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec())
                        .getSocketFactory().createSocket("127.0.0.1", port);
                socket.setSoTimeout(30_000);
                socket.setEnabledProtocols(new String[] {suite.jdkProtocol()});
                socket.setEnabledCipherSuites(new String[] {suite.jdkName});
                socket.startHandshake();
                return new Simple(socket.getInputStream(), socket.getOutputStream(), socket::close);
            }
            case OPENSSL: {
                OpensslClient client = OpensslClient.connect(port, suite, false);
                return new Simple(client.stdout(), client.stdin(), client::close);
            }
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }

    /** Streams plus how to close them. */
    final class Simple implements ClientConnection {
        private final InputStream input;
        private final OutputStream output;
        private final Closer closer;

        /** A close action. */
        @FunctionalInterface
        interface Closer {
            void close() throws IOException;
        }

        Simple(InputStream input, OutputStream output, Closer closer) {
            this.input = input;
            this.output = output;
            this.closer = closer;
        }

        @Override
        public InputStream input() {
            return input;
        }

        @Override
        public OutputStream output() {
            return output;
        }

        @Override
        public void close() throws IOException {
            closer.close();
        }
    }
}
