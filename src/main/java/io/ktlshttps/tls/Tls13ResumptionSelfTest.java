package io.ktlshttps.tls;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The start-up check that TLS 1.3 resumption works with this BouncyCastle: TLS 1.3
 * tickets rest on its internals staying as 1.84 has them (the binder label, the offered
 * identities, the record hooks: {@link KtlsTlsServer#getExternalPSK}). Over loopback, the
 * JDK's own client (JSSE, which resumes TLS 1.3) makes a full handshake and takes our
 * ticket, then a second connection offering it; our server side is the same classes a
 * connection uses (BouncyCastle's protocol, our TlsServer, crypto and transcript, the
 * ticket sent as {@link HandshakeDriver} sends it), over a plain socket, outside the
 * server's counters. If the second handshake is not resumed, or anything fails, the server
 * turns TLS 1.3 tickets off and its banner says why. Takes a few handshakes' time.
 */
public final class Tls13ResumptionSelfTest {
    private static final int TIMEOUT_MILLIS = 5_000;

    private Tls13ResumptionSelfTest() {
    }

    /** Null if a TLS 1.3 session resumed by our ticket; else why not, in a few words. */
    public static String run(TlsServerConfig config) {
        return run(config, () -> new SequenceTrackingCrypto(TlsHandshake.random(), config.keyExchange()));
    }

    static String run(TlsServerConfig config, Supplier<SequenceTrackingCrypto> cryptos) {
        if (config.tickets() == null) {
            return "no tickets";
        }
        try (ServerSocket listener = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(TIMEOUT_MILLIS);
            FutureTask<boolean[]> server = new FutureTask<>(() -> {
                boolean[] resumed = new boolean[2];
                for (int i = 0; i < 2; i++) {
                    try (Socket socket = listener.accept()) {
                        socket.setSoTimeout(TIMEOUT_MILLIS);
                        resumed[i] = serve(socket, config, cryptos.get());
                    }
                }
                return resumed;
            });
            Thread thread = new Thread(server, "tls13-resumption-self-test");
            thread.setDaemon(true);
            thread.start();
            long[] created = new long[2];
            SSLContext client = trustingClient();
            try {
                for (int i = 0; i < 2; i++) {
                    created[i] = connect(client, listener.getLocalPort());
                }
            } catch (IOException e) {
                server.cancel(true);
                return "the JDK's client failed: " + e;
            }
            boolean[] resumed;
            try {
                resumed = server.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                return "our side failed: " + e.getCause();
            } catch (TimeoutException e) {
                server.cancel(true);
                return "our side did not finish within " + TIMEOUT_MILLIS + " ms";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            if (resumed[0] || !resumed[1]) {
                return "the JDK's client offered our ticket and the handshake was not resumed";
            }
            if (created[0] != created[1]) {
                return "the JDK's client did not resume its session";
            }
            return null;
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            return "self-test failed: " + e;
        }
    }

    /** One connection of ours: the handshake, our ticket, close_notify. True if it resumed by ticket. */
    private static boolean serve(Socket socket, TlsServerConfig config, SequenceTrackingCrypto crypto)
            throws IOException {
        HandshakeTranscript transcript = new HandshakeTranscript();
        KtlsTlsServer server = new KtlsTlsServer(crypto, config, transcript);
        KtlsServerProtocol protocol = new KtlsServerProtocol(transcript);
        protocol.accept(server);
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buffer = new byte[HandshakeDriver.CAPACITY];
        do {
            int n = in.read(buffer);
            if (n < 0) {
                throw new EOFException("the client closed during the handshake");
            }
            HandshakeDriver.offer(protocol, buffer, n, out);
        } while (protocol.isHandshaking());
        if (protocol.isClosed()) {
            throw new EOFException("the handshake ended without completing");
        }
        HandshakeDriver.sendTls13Ticket(protocol, server, out);
        protocol.close();
        HandshakeDriver.send(protocol, out);
        return server.resumedBy() == KtlsTlsServer.Resumption.TICKET;
    }

    /** One TLS 1.3 connection by JSSE, read to our close_notify (taking the ticket on the way); the session's creation time. */
    private static long connect(SSLContext client, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                port)) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            while (socket.getInputStream().read() >= 0) {
                // nothing comes but the ticket and close_notify
            }
            return socket.getSession().getCreationTime();
        }
    }

    /**
     * A client that takes any certificate: the check is of resumption, over loopback to a
     * socket of our own, and the certificate may be one that no trust store knows.
     */
    private static SSLContext trustingClient() throws java.security.GeneralSecurityException {
        TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new TrustManager[] {any}, null);
        return context;
    }
}
