package io.ktlshttps.server;

import io.ktlshttps.http.HttpExchange;
import io.ktlshttps.http.HttpRequest;
import io.ktlshttps.http.HttpResponse;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.KernelTlsInstallException;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.PeerErrors;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsChannel;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.EstablishedTls;
import io.ktlshttps.tls.HandshakeDriver;
import io.ktlshttps.tls.TlsHandshake;
import io.ktlshttps.tls.TlsServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from accept to close, on the one {@link EventLoop} that accepted
 * it: handshake, choice of record layer, HTTP exchanges, close. Nothing it does waits: the
 * socket is non-blocking from accept, and when the client has nothing more for it, or no
 * room for what it sends, the connection arms its socket in the loop's epoll set (one-shot,
 * readable or writable) and returns. Its loop calls {@link #ready} when the socket is
 * ready, {@link #timedOut} when its one deadline (in the loop's {@link TimerHeap}) passes
 * first. Only its loop's thread touches it: no locks, no hand-offs.
 *
 * <pre>
 * HANDSHAKE ──established──► HTTP ──close / error / stop──► CLOSING ──flushed──► LINGER ──peer's FIN──► closed
 *     │ deadline: handshake     │ deadline: idle, header,       │ deadline: linger     │ deadline: linger
 *     └─ timeout, failure ─► closed   or send timeout           └─ (2 s) ─► LINGER     └─ (2 s) ─► closed
 * </pre>
 */
final class ServerConnection extends TimerHeap.Timed {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    static final String SERVER_NAME = "ktls-https/" + Version.VERSION;
    /** How long a closing connection keeps reading so its last response is not lost to a reset. */
    static final long LINGER_MILLIS = 2000;
    private static final long LINGER_NANOS = LINGER_MILLIS * 1_000_000;

    /** Where the connection is in its life. */
    enum Phase {
        /** Accepted: the TLS handshake (deadline: the handshake timeout from accept). */
        HANDSHAKE,
        /** Established: HTTP exchanges (deadline: the exchange's: idle, header or send timeout). */
        HTTP,
        /** Our side is done; user-space records (the last response, close_notify) leave before our FIN (deadline: linger). */
        CLOSING,
        /** FIN sent; reading and dropping until the peer closes too (deadline: linger). */
        LINGER
    }

    /** What the socket is armed for in the loop's epoll set. */
    private enum Waiting { NOTHING, READ, WRITE }

    private final NativeSocket socket;
    private final ServerContext context;
    private final EventLoop loop;
    private Phase phase = Phase.HANDSHAKE;
    private Waiting waiting = Waiting.NOTHING;
    /** The last wait was for room to write: an expiry then means the client took nothing (send timeout). */
    private boolean waitedToWrite;
    /** The handshake in progress. */
    private HandshakeDriver handshaking;
    private TlsChannel channel;
    private HttpExchange exchange;
    private InetSocketAddress peer;
    private boolean closed;

    ServerConnection(NativeSocket socket, ServerContext context, EventLoop loop) {
        this.socket = socket;
        this.context = context;
        this.loop = loop;
        context.metrics().activeConnections.increment();
    }

    Phase phase() {
        return phase;
    }

    boolean waitsToWrite() {
        return waiting == Waiting.WRITE;
    }

    /** Just accepted: waits for the ClientHello, within the handshake timeout. */
    void start(long now) throws IOException {
        peer = socket.remoteAddress();
        loop.timers().schedule(this, now + context.config().handshakeTimeout().toNanos());
        waitToRead();
    }

    /** The socket is ready for what the connection waited for (or hung up, or failed). */
    void ready(long now) {
        stopWaiting();
        turn(now, false);
    }

    /** The deadline passed first (its loop has taken it out of the timer heap). */
    void timedOut(long now) {
        if (waiting != Waiting.NOTHING) {
            loop.selector().ignore(socket); // armed in the kernel until it fires (ignored) or is armed again
            stopWaiting();
        }
        turn(now, true);
    }

    /**
     * The server is stopping: a connection waiting for its handshake or its next request
     * (or the rest of one) ends now, with close_notify after a handshake; one in the middle
     * of a response keeps the grace period, and a closing one goes on closing.
     */
    void stop(long now) {
        if (closed || waiting == Waiting.WRITE || phase == Phase.CLOSING || phase == Phase.LINGER) {
            return;
        }
        if (waiting == Waiting.READ) {
            loop.selector().ignore(socket);
            stopWaiting();
        }
        try {
            if (phase == Phase.HANDSHAKE) {
                closeNow();
            } else {
                beginClose(now, true);
            }
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void stopWaiting() {
        if (waiting == Waiting.READ) {
            context.metrics().idleConnections.decrement();
        } else if (waiting == Waiting.WRITE) {
            context.metrics().writeWaits.decrement();
        }
        waiting = Waiting.NOTHING;
    }

    /** One turn: the connection's next steps, until it waits again or is closed. */
    private void turn(long now, boolean expired) {
        try {
            try {
                FaultInjection.at(FaultInjection.Point.CONNECTION);
                switch (phase) {
                    case HANDSHAKE -> handshake(now, expired);
                    case HTTP -> serve(now, expired);
                    case CLOSING -> finishClosing(now, expired);
                    default -> linger(now, expired);
                }
            } catch (IOException e) {
                logFailure(e);
                beginClose(now, false);
            }
        } catch (RuntimeException e) {
            // A bug met by this connection alone: it ends, the loop and the server go on
            // (as Netty, Jetty and Tomcat do); an Error reaches the loop, which ends the process.
            failed(e);
        }
    }

    /**
     * After an unexpected RuntimeException in this connection's turn, or in its close:
     * logged with its stack, and the connection released at once, fd and slot (no
     * close_notify or linger: the failure may be in that path).
     */
    void failed(RuntimeException e) {
        LOG.error("{} unexpected failure: closing the connection", peer, e);
        try {
            closeNow();
        } catch (RuntimeException again) {
            LOG.error("{} closing after a failure failed too (fd and slot released)", peer, again);
        }
    }

    /** The handshake's next steps, and then the record layer and the first request. */
    private void handshake(long now, boolean expired) throws IOException {
        if (expired) {
            context.metrics().handshakeFailures.increment();
            LOG.debug("{} {} within the handshake timeout", peer,
                    handshaking == null ? "sent nothing" : "did not finish its handshake");
            closeNow();
            return;
        }
        EstablishedTls tls;
        try {
            if (handshaking == null) {
                handshaking = TlsHandshake.start(socket, context.tlsConfig());
            }
            switch (handshaking.advance()) {
                case NEED_INPUT:
                    waitToRead(); // the deadline stays: the handshake timeout from accept
                    return;
                case NEED_OUTPUT:
                    waitToWrite();
                    return;
                case PLAIN_HTTP:
                    handshaking = null;
                    plainHttp();
                    beginClose(now, false);
                    return;
                default:
                    break;
            }
            tls = handshaking.established();
            handshaking = null;
        } catch (IOException e) {
            handshaking = null;
            context.metrics().handshakeFailures.increment();
            // A client that goes away mid-handshake, or fails it: ordinary client behaviour.
            LOG.debug("{} handshake failed: {}", peer, e.toString());
            beginClose(now, false);
            return;
        }
        context.metrics().handshake(tls.version().toString(), tls.cipher().name(), tls.group(), tls.resumed());
        context.metrics().resumption(tls.version().toString(), tls.resumedBy(), tls.ticketsIssued(),
                tls.ticketRefused());
        context.metrics().agreedAlpn(tls.applicationProtocol());
        if (tls.version() == TlsVersion.TLS_1_3 || tls.resumed()) {
            acknowledgeClientFinished();
        }
        channel = chooseRecordLayer(tls);
        if (channel == null) {
            beginClose(now, false);
            return;
        }
        if (tls.maxFragmentLength() > 0) {
            countRecordLimit(tls.maxFragmentLength());
        }
        if (LOG.isDebugEnabled()) { // asks the kernel (getsockopt) what it really carries
            LOG.debug("{} {} {} {} kernel TX {} RX {}", peer, tls.version(), tls.cipher(),
                    tls.resumed() ? "resumed by " + tls.resumedBy() : tls.ticketRefused() ? "full (ticket refused)"
                            : "full", channel.kernelTx() ? "on" : "off",
                    channel.kernelRx() ? "on" : "off");
        }
        ChannelConnection connection = new ChannelConnection(channel, context.metrics(), context.config().sendfile(),
                context.stopping());
        exchange = new HttpExchange(connection, context.config().limits(), context.config().headerTimeout(),
                context.config().idleTimeout(), this::route, this::responded, SERVER_NAME);
        phase = Phase.HTTP;
        if (channel.hasBufferedInput()) {
            serve(now, false); // the request came with the client's Finished and user space holds it
        } else {
            // No request yet (or it is in the socket, for the kernel): wait for it; the
            // idle timeout runs from here.
            loop.timers().schedule(this, now + context.config().idleTimeout().toNanos());
            waitToRead();
        }
    }

    /**
     * In a TLS 1.3 handshake and a resumed TLS 1.2 one the client sends the last message
     * (its Finished), and nothing of ours answers it. A client with Nagle on (Python,
     * many libraries) sends its first request right behind it, and its kernel holds that
     * request until the Finished is acknowledged: on the delayed-ACK timer, 40 ms or more.
     * So acknowledge it now. (nginx gets the same from OpenSSL's session tickets, which
     * follow the client's Finished.)
     */
    private void acknowledgeClientFinished() {
        try {
            socket.acknowledgeNow();
        } catch (IOException e) {
            LOG.debug("{} TCP_QUICKACK: {}", peer, e.getMessage());
        }
    }

    /**
     * The exchange's next steps, without waiting: requests, and responses as far as the
     * client's window takes them; then the connection waits for readiness (to read or to
     * write, until the exchange's deadline: idle, header or send timeout), or closes.
     */
    private void serve(long now, boolean expired) throws IOException {
        boolean sendTimedOut = false;
        while (true) {
            // The timer, or a client that keeps the socket ready past its deadline (a head
            // trickled byte by byte): it must still get its 408 or its send timeout.
            boolean deadlinePassed = expired || (timerIndex >= 0 && now - deadline >= 0);
            expired = false;
            if (channel.hasPendingOutput() && !channel.flushNow()) {
                // Records user space made for the last response, still waiting for room.
                if (deadlinePassed) {
                    sendTimedOut = true; // the client took no byte for the send timeout
                    break;
                }
                loop.timers().schedule(this, now + context.config().idleTimeout().toNanos());
                waitToWrite();
                return;
            }
            HttpExchange.Outcome outcome = deadlinePassed ? exchange.expire(now) : exchange.resume(now, loop.scratch());
            if (outcome == HttpExchange.Outcome.CLOSE) {
                sendTimedOut = deadlinePassed && waitedToWrite;
                break;
            }
            if (outcome == HttpExchange.Outcome.WAIT_WRITE) {
                loop.timers().schedule(this, exchange.deadlineNanos());
                waitToWrite();
                return;
            }
            // WAIT_READ: the next request, or the rest of one.
            if (channel.hasPendingOutput()) {
                continue; // the response's last records first
            }
            if (exchange.idle() && loop.stopping()) {
                break;
            }
            loop.timers().schedule(this, exchange.deadlineNanos());
            waitToRead();
            return;
        }
        if (channel instanceof KernelTlsChannel kernel && kernel.keyExhausted()) {
            // The last response took the key past its record limit, and it cannot be
            // renewed: end here, as a server may close an idle keep-alive connection at any
            // time; the client reconnects for more.
            LOG.debug("{} the TX key reached its record limit: closing", peer);
        }
        // A client that took nothing for the send timeout has no room for a close_notify either.
        beginClose(now, !sendTimedOut);
    }

    /** Arms the socket for reading (the deadline is already set). */
    private void waitToRead() {
        arm(false);
    }

    /** Arms the socket for room to write (the deadline is already set). */
    private void waitToWrite() {
        arm(true);
    }

    private void arm(boolean write) {
        try {
            if (write) {
                loop.selector().registerForWrite(socket, this);
            } else {
                loop.selector().register(socket, this);
            }
        } catch (IOException e) {
            LOG.warn("{} cannot wait for the connection to become ready, closing it: {}", peer, e.getMessage());
            closeNow();
            return;
        }
        waitedToWrite = write;
        waiting = write ? Waiting.WRITE : Waiting.READ;
        if (write) {
            context.metrics().writeWaits.increment();
        } else {
            context.metrics().idleConnections.increment();
        }
    }

    /**
     * A TLS connection starts with a handshake record (content type 22, RFC 8446 section
     * 5.1). A first byte that is an upper-case letter is a plain HTTP request sent to the
     * TLS port ({@link HandshakeDriver.Progress#PLAIN_HTTP}): like nginx, answer a plaintext
     * 400 that says so, and close.
     */
    private void plainHttp() throws IOException {
        byte[] body = "This is an HTTPS port: use https:// in the URL.\n".getBytes(StandardCharsets.US_ASCII);
        byte[] head = ("HTTP/1.1 400 Bad Request\r\nServer: " + SERVER_NAME + "\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] response = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, response, head.length, body.length);
        socket.writeNow(response, 0, response.length); // best effort: a fresh socket has room for it
        context.metrics().handshakeFailures.increment();
        LOG.debug("{} sent plain HTTP to the TLS port", peer);
    }

    /**
     * Kernel TLS when allowed and the kernel can carry this connection; user space
     * otherwise, unless --ktls=required, which ends the connection with an alert instead.
     * Null: drop the connection.
     */
    private TlsChannel chooseRecordLayer(EstablishedTls tls) throws IOException {
        ServerConfig config = context.config();
        ServerMetrics metrics = context.metrics();
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
                KernelTlsChannel kernel = tls.handOffToKernel(socket);
                kernel.rekeyAfter(config.rekeyAfterRecords());
                metrics.kernelConnections.increment();
                return kernel;
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

    /**
     * A max_fragment_length was agreed: counted as capped by the kernel only where the
     * kernel says the cap is in force, else (user space) as capped by our records.
     */
    private void countRecordLimit(int agreed) {
        if (channel instanceof KernelTlsChannel kernel) {
            if (kernel.kernelRecordCap() == agreed) {
                context.metrics().recordLimitsInKernel.increment();
            }
        } else {
            context.metrics().recordLimitsInUserSpace.increment();
        }
    }

    private HttpResponse route(HttpRequest request, long nowNanos) throws IOException {
        ServerConfig config = context.config();
        if (request.path().equals(ServerConfig.STATUS_PATH) && config.statusAccess() != StatusAccess.OFF) {
            if (config.statusAccess() == StatusAccess.LOOPBACK && !peer.getAddress().isLoopbackAddress()) {
                return HttpResponse.error(403);
            }
            return new HttpResponse(200).header("Content-Type", StatusPage.CONTENT_TYPE)
                    .header("Cache-Control", "no-store").body(StatusPage.render(context.metrics()));
        }
        return context.files().handle(request, nowNanos);
    }

    private void responded(HttpRequest request, int status, long bodyBytes) {
        context.metrics().requests.increment();
        AccessLog.log(peer, request, status, bodyBytes);
    }

    private void logFailure(IOException e) {
        if (!PeerErrors.causedByPeer(e)) {
            // EINVAL from sendfile, EIO from sendmsg, a file that shrank while sent:
            // the server's trouble, not the client's.
            LOG.warn("{} connection failed: {}", peer, e.toString());
        } else if (e instanceof TlsAlertException) {
            LOG.info("{} {}", peer, e.getMessage());
        } else {
            LOG.debug("{} connection ended: {}", peer, e.toString());
        }
    }

    /**
     * Ends our side: close_notify if asked, then (once user-space records have left) FIN,
     * then the linger phase, which reads and drops what the peer still sends until it
     * closes too (or {@link #LINGER_MILLIS} pass) before the fd is released. Closing with
     * unread input makes the kernel answer with a reset, and a reset can destroy a response
     * still in flight (the "lingering close" of nginx and Apache).
     */
    private void beginClose(long now, boolean closeNotify) {
        if (closed || phase == Phase.CLOSING || phase == Phase.LINGER) {
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} closing ({})", peer, phase);
        }
        handshaking = null;
        if (channel instanceof KernelTlsChannel kernel) {
            context.metrics().proactiveRekeys.add(kernel.proactiveRekeys());
        }
        if (closeNotify && channel != null) {
            try {
                channel.sendCloseNotify();
            } catch (IOException e) {
                LOG.debug("{} close_notify not sent: {}", peer, e.getMessage());
            }
        }
        phase = Phase.CLOSING;
        loop.timers().schedule(this, now + LINGER_NANOS);
        finishClosing(now, false);
    }

    /**
     * User-space records not yet taken by the socket (the last response's, the close_notify)
     * leave before our FIN: the connection waits for room up to {@link #LINGER_MILLIS}. Only
     * a client that stopped reading right at the end of a response makes it wait.
     */
    private void finishClosing(long now, boolean expired) {
        if (channel != null && channel.hasPendingOutput()) {
            boolean flushed;
            try {
                flushed = channel.flushNow();
            } catch (IOException e) {
                flushed = true; // nothing more will leave
            }
            if (!flushed) {
                if (!expired) {
                    waitToWrite();
                    return;
                }
                LOG.debug("{} the last records were not taken within {} ms", peer, LINGER_MILLIS);
            }
        }
        if (channel != null) {
            channel.dispose();
            channel = null;
        }
        exchange = null;
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            closeNow(); // not connected any more: nothing to linger for
            return;
        }
        phase = Phase.LINGER;
        loop.timers().schedule(this, now + LINGER_NANOS);
        linger(now, false);
    }

    /**
     * Lingering: reads what is there; at end of stream, on an error (a reset; EIO for a
     * control record on a kernel TLS socket) or past the deadline, releases the fd;
     * otherwise waits to read again.
     */
    private void linger(long now, boolean expired) {
        if (!expired) {
            byte[] sink = loop.scratch();
            try {
                // A bounded share per turn, so one busy sender cannot hold up the loop.
                for (int i = 0; i < 16; i++) {
                    int n = socket.readNow(sink, 0, sink.length);
                    if (n == 0) {
                        closeNow(); // the peer closed too: done
                        return;
                    }
                    if (n < 0) {
                        waitToRead(); // drained for now: the peer's FIN, or more
                        return;
                    }
                }
                waitToRead();
                return;
            } catch (IOException e) {
                // Reset, or a control record the kernel will not hand to a plain read: done.
            }
        }
        closeNow();
    }

    /** Releases the fd and the slot, once, whatever fails on the way. */
    void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        loop.timers().cancel(this);
        loop.selector().forget(socket); // close(2) takes it out of the epoll set
        stopWaiting();
        try {
            FaultInjection.at(FaultInjection.Point.CLOSE);
            if (channel != null) {
                channel.dispose();
            }
        } finally { // whatever failed above, the fd and the slot are released
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("{} close: {}", peer, e.getMessage());
            } finally {
                context.metrics().activeConnections.decrement();
                loop.closed(this);
            }
        }
    }
}
