package io.ktlshttps;

import io.ktlshttps.files.FileHandler;
import io.ktlshttps.http.HttpException;
import io.ktlshttps.http.HttpRequest;
import io.ktlshttps.http.HttpResponse;
import io.ktlshttps.http.RequestParser;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.KernelTlsInstallException;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.PeerErrors;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsChannel;
import io.ktlshttps.tls.EstablishedTls;
import io.ktlshttps.tls.TlsHandshake;
import io.ktlshttps.tls.TlsServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One client connection: handshake, choice of record layer, then HTTP/1.1 requests until it ends. */
final class ConnectionTask implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionTask.class);
    static final String SERVER_NAME = "ktls-https/" + Version.VERSION;
    /** Request bodies (which GET and HEAD do not use) are read and dropped up to this size; larger is 413. */
    private static final long MAX_DISCARDED_BODY = 1 << 20;
    /** How long a closing connection keeps reading so its last response is not lost to a reset. */
    private static final long LINGER_MILLIS = 2000;

    private final NativeSocket socket;
    private final ServerConfig config;
    private final TlsServerConfig tlsConfig;
    private final FileHandler files;
    private final ServerMetrics metrics;
    private final HttpsServer server;
    private final RequestParser parser;
    private volatile boolean idle = true;
    private volatile TlsChannel channel;
    /** Set when shutdown sent close_notify to this idle connection: it must not answer any more. */
    private boolean woken;
    private InetSocketAddress peer;

    ConnectionTask(NativeSocket socket, ServerConfig config, TlsServerConfig tlsConfig, FileHandler files,
            ServerMetrics metrics, HttpsServer server) {
        this.socket = socket;
        this.config = config;
        this.tlsConfig = tlsConfig;
        this.files = files;
        this.metrics = metrics;
        this.server = server;
        this.parser = new RequestParser(config.limits());
    }

    /** True while the connection waits for a request (or its handshake) rather than answering one. */
    boolean idle() {
        return idle;
    }

    /**
     * Ends an idle connection for shutdown: close_notify goes out now (from this thread, as
     * the connection's own thread is blocked reading), then the read side is shut so that
     * thread wakes to end of stream and releases the socket.
     */
    synchronized void wakeForShutdown() {
        try {
            TlsChannel c = channel;
            if (idle && c != null && !woken) {
                woken = true;
                c.sendCloseNotify();
            }
            socket.shutdownInput();
        } catch (IOException e) {
            LOG.debug("shutdown of an idle connection: {}", e.getMessage());
        }
    }

    /** Leaves the idle state to answer a request, unless shutdown already said goodbye. */
    private synchronized boolean becomeBusy() {
        if (woken) {
            return false;
        }
        idle = false;
        return true;
    }

    void abort() {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("abort: {}", e.getMessage());
        }
    }

    @Override
    public void run() {
        metrics.activeConnections.increment();
        try {
            peer = socket.remoteAddress();
            EstablishedTls tls = handshake();
            if (tls == null) {
                return;
            }
            metrics.handshake(tls.version().toString(), tls.cipher().name(), tls.group(), tls.resumed());
            TlsChannel channel = chooseRecordLayer(tls);
            if (channel == null) {
                return;
            }
            this.channel = channel;
            if (LOG.isDebugEnabled()) { // asks the kernel (getsockopt) what it really carries
                LOG.debug("{} {} {} {} kernel TX {} RX {}", peer, tls.version(), tls.cipher(),
                        tls.resumed() ? "resumed" : "full", channel.kernelTx() ? "on" : "off",
                        channel.kernelRx() ? "on" : "off");
            }
            try {
                serve(new ChannelConnection(channel, socket, metrics, config.sendfile()));
            } finally {
                if (channel instanceof KernelTlsChannel kernel) {
                    metrics.proactiveRekeys.add(kernel.proactiveRekeys());
                }
                try {
                    channel.sendCloseNotify(); // always; the socket is closed below, after lingering
                } catch (IOException e) {
                    LOG.debug("{} close_notify not sent: {}", peer, e.getMessage());
                }
            }
        } catch (IOException e) {
            if (!PeerErrors.causedByPeer(e)) {
                // EINVAL from sendfile, EIO from sendmsg, a file that shrank while sent:
                // the server's trouble, not the client's.
                LOG.warn("{} connection failed: {}", peer, e.toString());
            } else if (e instanceof TlsAlertException) {
                LOG.info("{} {}", peer, e.getMessage());
            } else {
                LOG.debug("{} connection ended: {}", peer, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("{} unexpected failure", peer, e);
        } catch (Error e) {
            // OutOfMemoryError and the like: logged here, where the connection is known,
            // then left to end this thread (the pool makes another).
            LOG.error("{} {} on a connection thread", peer, e.getClass().getSimpleName(), e);
            throw e;
        } finally {
            socket.drainAndClose(LINGER_MILLIS);
            metrics.activeConnections.decrement();
            server.finished(this);
        }
    }

    private EstablishedTls handshake() throws IOException {
        socket.setTimeout(config.handshakeTimeout().toMillis());
        // Responses are whole records, coalesced by MSG_MORE (kernel) or by the channel
        // (user space); Nagle would only hold back their last segment for a delayed ACK.
        socket.setNoDelay(true);
        try {
            return plainHttp() ? null : TlsHandshake.accept(socket, tlsConfig);
        } catch (IOException e) {
            metrics.handshakeFailures.increment();
            LOG.debug("{} handshake failed: {}", peer, e.toString());
            return null;
        }
    }

    /**
     * A TLS connection starts with a handshake record (content type 22, RFC 8446 section
     * 5.1). A first byte that is an upper-case letter is a plain HTTP request sent to the
     * TLS port: like nginx, answer a plaintext 400 that says so, and close.
     */
    private boolean plainHttp() throws IOException {
        int first = socket.peekFirstByte();
        if (first < 'A' || first > 'Z') {
            return false;
        }
        byte[] body = "This is an HTTPS port: use https:// in the URL.\n".getBytes(StandardCharsets.US_ASCII);
        byte[] head = ("HTTP/1.1 400 Bad Request\r\nServer: " + SERVER_NAME + "\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        socket.write(head, 0, head.length);
        socket.write(body, 0, body.length);
        metrics.handshakeFailures.increment(); // counted here: the caller sees no exception
        LOG.debug("{} sent plain HTTP to the TLS port", peer);
        return true;
    }

    /** Why a connection did not go to the kernel (its label in /server-status). */
    enum KernelRefusal {
        /** The kernel has no TLS, or not for this version and cipher. */
        CIPHER("cipher"),
        /**
         * The client negotiated max_fragment_length and the kernel cannot cap its record
         * size (no TLS_TX_MAX_PAYLOAD_LEN, before Linux 6.19); OpenSSL keeps such connections
         * in user space too.
         */
        MAX_FRAGMENT_LENGTH("max_fragment_length"),
        /** setsockopt refused the ULP or the keys (a client that already sent FIN: ENOTCONN). */
        INSTALL("install");

        final String label;

        KernelRefusal(String label) {
            this.label = label;
        }
    }

    /**
     * Kernel TLS when allowed and the kernel can carry this connection; user space
     * otherwise, unless --ktls=required, which ends the connection with an alert instead.
     * Null: drop the connection.
     */
    private TlsChannel chooseRecordLayer(EstablishedTls tls) throws IOException {
        if (config.ktls() == KtlsMode.OFF) {
            metrics.userSpaceConnections.increment();
            return tls.userSpace(socket);
        }
        KernelRefusal refusal;
        String why;
        if (!KernelTls.supports(tls.version(), tls.cipher())) {
            refusal = KernelRefusal.CIPHER;
            why = "the kernel has no TLS for " + tls.version() + " " + tls.cipher();
        } else if (tls.maxFragmentLength() > 0 && !KernelTls.limitsRecordSize()) {
            refusal = KernelRefusal.MAX_FRAGMENT_LENGTH;
            why = "max_fragment_length " + tls.maxFragmentLength() + " negotiated and the kernel cannot limit"
                    + " its record size";
        } else {
            try {
                KernelTlsChannel channel = tls.handOffToKernel(socket);
                channel.rekeyAfter(config.rekeyAfterRecords());
                metrics.kernelConnections.increment();
                return channel;
            } catch (KernelTlsInstallException e) {
                if (!e.fallbackPossible()) {
                    LOG.warn("{} kernel TLS half-installed, dropping the connection: {}", peer, e.getMessage());
                    return null;
                }
                refusal = KernelRefusal.INSTALL;
                why = e.getMessage();
            }
        }
        if (config.ktls() == KtlsMode.REQUIRED) {
            metrics.refused(refusal);
            LOG.debug("{} --ktls=required and the kernel cannot take it ({}): internal_error", peer, why);
            try {
                tls.refuse(TlsAlert.INTERNAL_ERROR, "--ktls=required: " + why);
            } catch (IOException e) {
                LOG.debug("{} alert not sent: {}", peer, e.getMessage());
            }
            return null;
        }
        metrics.fellBack(refusal);
        LOG.debug("{} user space ({}): {}", peer, refusal.label, why);
        metrics.userSpaceConnections.increment();
        return tls.userSpace(socket);
    }

    /** Requests until the client closes, asks to close, times out, or the server stops. */
    private void serve(ChannelConnection connection) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        int filled = 0;
        while (true) {
            idle = true;
            if (server.stopping() && filled == 0) {
                return;
            }
            long idleDeadline = System.nanoTime() + config.idleTimeout().toNanos();
            long headerDeadline = Long.MAX_VALUE;
            RequestParser.Parsed parsed;
            try {
                while ((parsed = parser.parse(buffer, filled)) == null) {
                    if (filled == buffer.length) {
                        buffer = Arrays.copyOf(buffer, buffer.length * 2); // the parser's limits bound this
                    }
                    int n = connection.read(buffer, filled, buffer.length - filled,
                            filled == 0 ? idleDeadline : headerDeadline);
                    if (n < 0) {
                        return;
                    }
                    if (filled == 0) {
                        headerDeadline = System.nanoTime() + config.headerTimeout().toNanos();
                    }
                    filled += n;
                }
            } catch (SocketTimeoutException e) {
                if (filled > 0) {
                    respond(connection, null, HttpResponse.error(408).closeAfter());
                }
                return;
            } catch (HttpException e) {
                respond(connection, null, HttpResponse.error(e.status()).closeAfter());
                return;
            }
            if (!becomeBusy()) {
                return;
            }
            HttpRequest request = parsed.request();
            int consumed = parsed.consumed();
            if (parsed.bodyLength() > MAX_DISCARDED_BODY) {
                respond(connection, request, HttpResponse.error(413).closeAfter());
                return;
            }
            long body = parsed.bodyLength();
            long inBuffer = Math.min(body, filled - consumed);
            consumed += (int) inBuffer;
            if (!discard(connection, body - inBuffer, headerDeadline)) {
                return;
            }
            filled -= consumed;
            System.arraycopy(buffer, consumed, buffer, 0, filled);
            HttpResponse response = route(request);
            if (!request.keepAlive() || server.stopping() || connection.keyExhausted()) {
                response.closeAfter();
            }
            respond(connection, request, response);
            if (response.closesConnection()) {
                return;
            }
            if (connection.keyExhausted()) {
                // This response took the key past its record limit, and it cannot be
                // renewed: end here (close_notify follows), as a server may close an idle
                // keep-alive connection at any time; the client reconnects for more.
                LOG.debug("{} the TX key reached its record limit: closing", peer);
                return;
            }
        }
    }

    private static boolean discard(ChannelConnection connection, long length, long deadline) throws IOException {
        byte[] sink = new byte[8192];
        long left = length;
        while (left > 0) {
            int n = connection.read(sink, 0, (int) Math.min(sink.length, left), deadline);
            if (n < 0) {
                return false;
            }
            left -= n;
        }
        return true;
    }

    private HttpResponse route(HttpRequest request) throws IOException {
        if (request.path().equals(ServerConfig.STATUS_PATH) && config.statusAccess() != StatusAccess.OFF) {
            if (config.statusAccess() == StatusAccess.LOOPBACK && !peer.getAddress().isLoopbackAddress()) {
                return HttpResponse.error(403);
            }
            return new HttpResponse(200).header("Content-Type", StatusPage.CONTENT_TYPE)
                    .header("Cache-Control", "no-store").body(StatusPage.render(metrics));
        }
        return files.handle(request);
    }

    /** Headers and body: the head shares a record with the body (MSG_MORE), file bodies go by sendfile. */
    private void respond(ChannelConnection connection, HttpRequest request, HttpResponse response) throws IOException {
        String version = request == null || request.version().equals("HTTP/1.1") ? "HTTP/1.1" : "HTTP/1.0";
        byte[] head = response.head(version, Instant.now(), SERVER_NAME);
        long before = connection.sent();
        boolean headOnly = request == null ? false : request.isHead();
        HttpResponse.FileRegion file = response.fileRegion();
        if (headOnly || response.contentLength() == 0) {
            connection.write(head, 0, head.length, false);
        } else if (file != null) {
            connection.write(head, 0, head.length, true);
            long sent = connection.transferFrom(file.file(), file.offset(), file.length());
            if (sent != file.length()) {
                // The file shrank under us: the promised Content-Length cannot be met, so the
                // connection must end here rather than desynchronise the client.
                response.closeAfter();
                throw new IOException(file.file() + " shrank while being sent (" + sent + " of " + file.length() + ")");
            }
        } else {
            byte[] body = response.bytes();
            byte[] all = Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            connection.write(all, 0, all.length, false);
        }
        metrics.requests.increment();
        AccessLog.log(peer, request, response.status(), connection.sent() - before - head.length);
    }
}
