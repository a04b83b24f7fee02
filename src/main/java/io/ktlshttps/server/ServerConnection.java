package io.ktlshttps.server;

import io.ktlshttps.files.FileHandler;
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
 * One client connection, from accept to close: handshake, choice of record layer, then
 * HTTP exchanges. Between requests it waits in the {@link ConnectionPoller} with no thread
 * and no buffer; a worker thread runs it ({@link #run}) only when it has work.
 *
 * <p>Exactly one owner at a time: the poller while it waits, a worker while it runs. Only
 * the owner reads, writes or closes the socket. The one exception is
 * {@link #interrupt()}, for shutdown: shutdown(2), which wakes the owner and lets it
 * close.
 */
final class ServerConnection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    static final String SERVER_NAME = "ktls-https/" + Version.VERSION;
    /** How long a closing connection keeps reading so its last response is not lost to a reset. */
    static final long LINGER_MILLIS = 2000;
    /**
     * How long a worker first keeps a connection that has nothing to do yet before handing
     * it to the poller: its ClientHello after accept, its next request after a response,
     * its FIN after ours. A keep-alive client's next request, or a closing client's FIN,
     * usually comes within this; then it costs one poll(2) instead of the hand-off to the
     * poller and back (an eventfd write and read, an epoll_ctl, an epoll_wait and a thread
     * wake). A connection whose wait missed waits twice as long the next time, up to
     * {@link #LONGEST_BRIEF_WAIT_MILLIS}, and a new connection starts where the last catch
     * was ({@link BriefWaitStart}). Not when the workers are crowded: then a connection
     * with nothing to do parks at once.
     */
    static final int BRIEF_WAIT_MILLIS = 5;
    /**
     * The longest brief wait. A waiting worker costs no CPU, only a thread that the
     * crowding check takes back when others need it; a hand-off costs CPU every time. A
     * client a little slower than 5 ms between requests (one of several connections on a
     * busy client, a far one) was handed off on every request: measured in the UML kernel,
     * where the benchmark's client answers in 5 to 20 ms, the hand-offs were two fifths of
     * the server's CPU per request.
     */
    static final int LONGEST_BRIEF_WAIT_MILLIS = 40;
    /** The request buffer of each worker thread: an idle connection holds none. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[16 * 1024]);

    /** Where the connection is in its life; each phase waits in the poller for a different reason. */
    enum Phase {
        /** Accepted, waiting for the ClientHello (deadline: the handshake timeout). */
        HANDSHAKE,
        /** Established, waiting for its next request (deadline: the idle timeout). */
        HTTP,
        /** Our side is closed (FIN sent); reading and dropping until the peer closes (deadline: the linger time). */
        LINGER
    }

    private final NativeSocket socket;
    private final ServerContext context;
    private volatile Phase phase = Phase.HANDSHAKE; // read by stop() from another thread
    /**
     * When waiting in the poller ends, in {@link System#nanoTime} terms. Set when the
     * connection is about to wait there, not before: most connections never wait before
     * their handshake or while lingering, and a clock reading is a system call in some
     * places (User-Mode Linux, some VMs), where it was a tenth of a handshake's CPU.
     */
    private long deadline;
    /** The clock reading the idle deadline was set from, at the end of the handshake. */
    /** Set while the connection waits in the poller for room to write (a response in progress). */
    private volatile boolean waitsToWrite;
    /** Set by the poller when the deadline passed rather than bytes arriving. */
    private boolean expired;
    /** Set by the poller when it hands the connection to a worker; false when it comes straight from accept. */
    private boolean woken;
    /** See {@link #arrivesSoon}. */
    private int briefWaitMisses;
    private int briefWaitsToSkip;
    private int briefWaitMillis;
    /** The handshake in progress: between the client's flights the connection waits in the poller with it. */
    private HandshakeDriver handshaking;
    private TlsChannel channel;
    private HttpExchange exchange;
    private ChannelConnection connection;
    private InetSocketAddress peer;
    private boolean closed;

    ServerConnection(NativeSocket socket, ServerContext context) {
        this.socket = socket;
        this.context = context;
        this.briefWaitMillis = context.briefWaitStart().millis();
        context.metrics().activeConnections.increment();
    }

    Phase phase() {
        return phase;
    }

    long deadline() {
        return deadline;
    }

    NativeSocket socket() {
        return socket;
    }

    /** The poller's verdict before it hands the connection over: the deadline passed (true) or bytes came. */
    void expired(boolean value) {
        this.expired = value;
        this.woken = true;
    }

    /** For shutdown, from any thread: wakes whoever owns the connection; the owner closes it. */
    void interrupt() {
        socket.shutdownNow();
    }

    /** A worker's turn: the next step of this connection, until it waits again or is closed. */
    @Override
    public void run() {
        context.metrics().busyConnections.increment();
        try {
            try {
                FaultInjection.at(FaultInjection.Point.WORKER);
                step();
            } catch (IOException e) {
                logFailure(e);
                beginClose(false);
            }
        } catch (RuntimeException e) {
            // A bug met by this connection alone: it ends, the thread and the server go on
            // (as Netty, Jetty and Tomcat do; an Error ends the process below).
            failed(e);
        } catch (Error e) {
            context.fatal().accept("a connection thread", e);
        } finally {
            context.metrics().busyConnections.decrement();
        }
    }

    /**
     * After an unexpected RuntimeException in this connection's turn, or in its close:
     * logged with its stack, and the connection released at once, fd and slot (no
     * close_notify or linger: the failure may be in that path). Called by its owner.
     */
    void failed(RuntimeException e) {
        LOG.error("{} unexpected failure: closing the connection", peer, e);
        try {
            closeNow();
        } catch (RuntimeException again) {
            LOG.error("{} closing after a failure failed too (fd and slot released)", peer, again);
        }
    }

    private void step() throws IOException {
        switch (phase) {
            case HANDSHAKE:
                if (expired) {
                    context.metrics().handshakeFailures.increment();
                    LOG.debug("{} {} within the handshake timeout", peer,
                            handshaking == null ? "sent nothing" : "did not finish its handshake");
                    closeNow();
                    return;
                }
                if (!woken && handshaking == null) { // straight from accept
                    if (context.stopping().getAsBoolean()) {
                        closeNow();
                        return;
                    }
                    if (!arrivesSoon()) {
                        awaitHelloInPoller(); // no ClientHello yet: wait for it there
                        return;
                    }
                }
                if (!establish()) {
                    return;
                }
                phase = Phase.HTTP;
                // No request yet (a browser's preconnect, a client that thinks first, or one
                // holding workers on purpose): wait for it in the poller, not in a read on
                // this worker, which would keep the worker until the idle timeout.
                if (!channel.hasBufferedInput() && !arrivesSoon()) {
                    context.poller().park(this);
                    return;
                }
                serve();
                return;
            case HTTP:
                if (expired && context.stopping().getAsBoolean() && !waitsToWrite) {
                    beginClose(true); // the server is stopping: close_notify
                    return;
                }
                serve();
                return;
            case LINGER:
            default:
                linger();
        }
    }

    /**
     * The handshake's next steps, and then the record layer; false if the connection waits
     * in the poller for the client's next flight, or ended instead.
     */
    private boolean establish() throws IOException {
        EstablishedTls tls;
        try {
            if (handshaking == null) {
                peer = socket.remoteAddress();
                handshaking = TlsHandshake.start(socket, context.tlsConfig());
            }
            HandshakeDriver.Progress progress;
            while ((progress = handshaking.advance()) == HandshakeDriver.Progress.NEED_INPUT) {
                if (deadline != 0 && System.nanoTime() - deadline >= 0) {
                    // A client that trickles its flights faster than the brief wait never
                    // waits in the poller, where deadlines are looked at: bounded here.
                    throw new java.net.SocketTimeoutException("the handshake took longer than the handshake timeout");
                }
                if (!arrivesSoon()) {
                    // The rest of the handshake is due within the handshake timeout from
                    // accept: from the first wait in the poller, if there was one.
                    if (deadline == 0) {
                        deadline = System.nanoTime() + context.config().handshakeTimeout().toNanos();
                    }
                    context.poller().park(this);
                    return false;
                }
                if (deadline == 0) { // the rest of the flight came in pieces: the timeout runs from here
                    deadline = System.nanoTime() + context.config().handshakeTimeout().toNanos();
                }
            }
            if (progress == HandshakeDriver.Progress.PLAIN_HTTP) {
                plainHttp();
                handshaking = null;
                beginClose(false);
                return false;
            }
            tls = handshaking.established();
            handshaking = null;
        } catch (IOException e) {
            handshaking = null;
            context.metrics().handshakeFailures.increment();
            LOG.debug("{} handshake failed: {}", peer, e.toString());
            beginClose(false);
            return false;
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
            beginClose(false);
            return false;
        }
        if (tls.maxFragmentLength() > 0) {
            countRecordLimit(tls.maxFragmentLength());
        }
        // The handshake ran under one deadline for reads and writes alike. From here reads
        // get their own (ChannelConnection.read), and a response may take as long as the
        // client keeps taking bytes: it fails only when none leaves for a whole idle timeout.
        // From here nothing waits in a system call: reads, writes and sendfile return at once
        // and the connection waits for readiness in the poller, with no thread.
        socket.setNonBlocking();
        if (LOG.isDebugEnabled()) { // asks the kernel (getsockopt) what it really carries
            LOG.debug("{} {} {} {} kernel TX {} RX {}", peer, tls.version(), tls.cipher(),
                    tls.resumed() ? "resumed by " + tls.resumedBy() : tls.ticketRefused() ? "full (ticket refused)"
                            : "full", channel.kernelTx() ? "on" : "off",
                    channel.kernelRx() ? "on" : "off");
        }
        connection = new ChannelConnection(channel, context.metrics(), context.config().sendfile(),
                context.stopping());
        exchange = new HttpExchange(connection, context.config().limits(), context.config().headerTimeout(),
                context.config().idleTimeout(), this::route, this::responded, SERVER_NAME);
        deadline = System.nanoTime() + context.config().idleTimeout().toNanos();
        return true;
    }

    /**
     * Waits for the ClientHello in the poller, within the handshake timeout from now: from
     * a worker after a brief wait, or from the acceptor when the workers are crowded.
     */
    void awaitHelloInPoller() {
        deadline = System.nanoTime() + context.config().handshakeTimeout().toNanos();
        context.poller().park(this);
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
     * client's window takes them. When the client has nothing more to send, or no room to
     * receive, and does not within the brief wait, the connection waits in the poller
     * (for readiness to read or to write, until the exchange's deadline: idle, header or
     * send timeout) with no thread; or it closes.
     */
    private void serve() throws IOException {
        while (true) {
            long now = System.nanoTime();
            // From the poller (expired), or here: a client that trickles bytes or takes them
            // faster than the brief waits never waits in the poller, where deadlines are
            // looked at, and must still get its 408 or its send timeout.
            boolean deadlinePassed = expired || now - deadline >= 0;
            expired = false;
            waitsToWrite = false;
            if (channel.hasPendingOutput() && !channel.flushNow()) {
                // Records user space made for the last response, still waiting for room.
                if (deadlinePassed) {
                    break; // the client took no byte for the send timeout
                }
                deadline = now + context.config().idleTimeout().toNanos();
                if (!writableSoon()) {
                    parkToWrite();
                    return;
                }
                continue;
            }
            HttpExchange.Outcome outcome = deadlinePassed ? exchange.expire(now) : exchange.resume(now, SCRATCH.get());
            if (outcome == HttpExchange.Outcome.CLOSE) {
                break;
            }
            if (outcome == HttpExchange.Outcome.WAIT_WRITE) {
                deadline = exchange.deadlineNanos();
                if (!writableSoon()) {
                    parkToWrite();
                    return;
                }
                continue;
            }
            // WAIT_READ: the next request, or the rest of one.
            if (channel.hasPendingOutput()) {
                continue; // the response's last records first
            }
            if (exchange.idle() && context.stopping().getAsBoolean()) {
                break;
            }
            deadline = exchange.deadlineNanos();
            if (!arrivesSoon()) {
                context.poller().park(this);
                return;
            }
        }
        if (channel instanceof KernelTlsChannel kernel && kernel.keyExhausted()) {
            // The last response took the key past its record limit, and it cannot be
            // renewed: end here, as a server may close an idle keep-alive connection at any
            // time; the client reconnects for more.
            LOG.debug("{} the TX key reached its record limit: closing", peer);
        }
        beginClose(true);
    }

    /**
     * Whether the client's window opens within the longest brief wait: a client that reads
     * at the speed of the network makes room within milliseconds, and a hand-off to the
     * poller and back would cost more than the wait. False at once when the workers are
     * crowded. An error counts as room: the write that follows reports it.
     */
    private boolean writableSoon() {
        if (context.workersCrowded().getAsBoolean()) {
            return false;
        }
        try {
            return socket.writableWithin(LONGEST_BRIEF_WAIT_MILLIS);
        } catch (IOException e) {
            return true;
        }
    }

    /** Waits in the poller for room to write (the deadline is set: the send timeout). */
    private void parkToWrite() {
        waitsToWrite = true;
        context.poller().park(this);
    }

    /** Whether the connection waits (or last waited) in the poller for room to write rather than for bytes. */
    boolean waitsToWrite() {
        return waitsToWrite;
    }

    /**
     * Whether the peer's next bytes arrive within the brief wait, for a worker deciding
     * whether to keep the connection or park it. A new connection's wait starts where the
     * last wait that caught a peer ended ({@link BriefWaitStart}), at first
     * {@link #BRIEF_WAIT_MILLIS}; a miss doubles it for the next time, up to
     * {@link #LONGEST_BRIEF_WAIT_MILLIS}, and it stays where it caught the peer: 5, 10, 20,
     * 40 ms. A miss at the longest goes back to the shortest and skips the next waits, for
     * a number of calls that doubles with each such miss (up to 64): a client that is
     * seldom that quick would only cost waits. False at once when the workers are crowded.
     * An error counts as arriving: the read that follows reports it.
     */
    private boolean arrivesSoon() {
        if (context.workersCrowded().getAsBoolean()) {
            return false;
        }
        if (briefWaitsToSkip > 0) {
            briefWaitsToSkip--;
            return false;
        }
        boolean arrived;
        try {
            arrived = socket.readableWithin(briefWaitMillis);
        } catch (IOException e) {
            return true;
        }
        if (arrived) {
            briefWaitMisses = 0;
            context.briefWaitStart().caught(briefWaitMillis);
        } else if (briefWaitMillis < LONGEST_BRIEF_WAIT_MILLIS) {
            briefWaitMillis = Math.min(LONGEST_BRIEF_WAIT_MILLIS, briefWaitMillis * 2);
        } else {
            briefWaitMillis = BRIEF_WAIT_MILLIS;
            briefWaitMisses = Math.min(64, briefWaitMisses * 2 + 1);
            briefWaitsToSkip = briefWaitMisses;
        }
        return arrived;
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
        socket.write(head, 0, head.length);
        socket.write(body, 0, body.length);
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
     * Ends our side: close_notify if asked and possible, then FIN, then the linger phase
     * in the poller, which reads and drops what the peer still sends until it closes too
     * (or {@link #LINGER_MILLIS} pass) before the fd is released. Closing with unread input
     * makes the kernel answer with a reset, and a reset can destroy a response still in
     * flight (the "lingering close" of nginx and Apache).
     */
    private void beginClose(boolean closeNotify) {
        if (closed || phase == Phase.LINGER) {
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} closing ({}, {})", peer, expired ? "deadline passed" : "ended", phase);
        }
        if (channel instanceof KernelTlsChannel kernel) {
            context.metrics().proactiveRekeys.add(kernel.proactiveRekeys());
        }
        if (closeNotify && channel != null) {
            try {
                channel.sendCloseNotify();
                flushBeforeFin();
            } catch (IOException e) {
                LOG.debug("{} close_notify not sent: {}", peer, e.getMessage());
            }
        }
        if (channel != null) {
            channel.dispose();
        }
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            closeNow(); // not connected any more: nothing to linger for
            return;
        }
        phase = Phase.LINGER;
        channel = null;
        exchange = null;
        connection = null;
        expired = false;
        // A closing client's close_notify and its FIN often come in separate segments: the
        // first ends the wait, the read takes it, and the FIN is a moment behind. So wait
        // again, a few times, before parking (a peer that keeps sending ends up there).
        for (int i = 0; i < 4 && arrivesSoon(); i++) {
            if (!lingerStep(SCRATCH.get())) {
                return; // the peer closed too (the usual case after Connection: close): done
            }
        }
        deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000; // from here: the brief waits add 160 ms at most
        context.poller().park(this);
    }

    /**
     * User-space records not yet taken by the socket (the last response's, the close_notify)
     * must leave before our FIN: waits for room up to {@link #LINGER_MILLIS}, on this worker.
     * Only a client that stopped reading right at the end of a response makes it wait.
     */
    private void flushBeforeFin() throws IOException {
        long end = 0;
        while (!channel.flushNow()) {
            long now = System.nanoTime();
            if (end == 0) {
                end = now + LINGER_MILLIS * 1_000_000;
            }
            int left = (int) ((end - now) / 1_000_000);
            if (left <= 0 || !socket.writableWithin(left)) {
                LOG.debug("{} the last records were not taken within {} ms", peer, LINGER_MILLIS);
                return;
            }
        }
    }

    /**
     * The linger phase's turn, run by the poller itself (it never blocks): reads what is
     * there; at end of stream, on an error (a reset; EIO for a control record on a kernel
     * TLS socket) or past the deadline, releases the fd. Returns true if it should wait
     * in the poller again.
     */
    boolean lingerStep(byte[] sink) {
        if (!expired) {
            try {
                // A bounded share per turn, so one busy sender cannot hold up the poller.
                for (int i = 0; i < 16; i++) {
                    int n = socket.readNow(sink, 0, sink.length);
                    if (n == 0) {
                        closeNow(); // the peer closed too: done
                        return false;
                    }
                    if (n < 0) {
                        break; // drained for now
                    }
                }
                return true; // wait for more, or for the peer's FIN
            } catch (IOException e) {
                // Reset, or a control record the kernel will not hand to a plain read: done.
            }
        }
        closeNow();
        return false;
    }

    private void linger() {
        if (lingerStep(SCRATCH.get())) {
            context.poller().park(this);
        }
    }

    /** Releases the fd, once; the owner only. */
    void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
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
                context.closed().accept(this);
            }
        }
    }
}
