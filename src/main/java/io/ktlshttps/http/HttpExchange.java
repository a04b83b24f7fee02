package io.ktlshttps.http;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/**
 * HTTP/1.1 over one {@link Connection}: requests in, responses out, keep-alive and
 * pipelining, 408 for a request head that stalls, 413 for a body too large to discard,
 * bodies of other requests read and dropped. It knows nothing of sockets or TLS.
 *
 * <p>It is a state machine that a call advances as far as the connection lets it, and
 * that keeps its place between calls: reading a request head, dropping a request body,
 * or sending a response (head bytes left, then the body's bytes or the file region's
 * position). {@link #resume} is the event-driven owner's call over a non-blocking
 * connection: it returns what to wait for, and {@link #deadlineNanos} until when.
 * {@link #serve} is the same machine over a blocking connection, for an owner that
 * lends a thread until the connection is idle.
 *
 * <p>Between calls the exchange keeps only what it must: a partial request head,
 * pipelined bytes read past the request being answered, the response in progress. An
 * idle exchange keeps no buffer: the scratch buffer belongs to the calling thread.
 */
public final class HttpExchange {
    /** Request bodies (which GET and HEAD do not use) are read and dropped up to this size; larger is 413. */
    static final long MAX_DISCARDED_BODY = 1 << 20;

    /** What the owner does next. */
    public enum Outcome {
        /**
         * Wait until the connection is readable: idle (every request so far answered, no
         * byte of another here), or a request head or body in progress. Bytes may still be
         * in the connection (a body is read no further than its end, and nothing is read
         * after a response when nothing is buffered, which would cost a read that nearly
         * always finds nothing): the owner's readiness must be level-triggered (as a
         * re-armed EPOLLONESHOT is), so they bring it back at once.
         */
        WAIT_READ,
        /** Wait until the connection is writable: the client's window is full mid-response. */
        WAIT_WRITE,
        /** The connection is over: the client closed or asked to, an error, a timeout, or the owner's wish. */
        CLOSE
    }

    /** Answers one request. */
    public interface Handler {
        /**
         * @param nowNanos {@link System#nanoTime} read once, after the request head was
         *        received: the one clock reading a request needs (caches, the Date header)
         */
        HttpResponse handle(HttpRequest request, long nowNanos) throws IOException;
    }

    /** Told of every response sent, for access logs and counters; request is null when none could be parsed. */
    public interface Listener {
        void responded(HttpRequest request, int status, long bodyBytes);
    }

    private enum State {
        /** Waiting for a request head, or for the rest of one. */
        READING,
        /** Reading and dropping a request body before the response. */
        DISCARDING,
        /** A response is in progress. */
        SENDING,
        CLOSED
    }

    private final Connection connection;
    private final RequestParser parser;
    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final Handler handler;
    private final Listener listener;
    private final String serverName;

    private State state = State.READING;
    /** Whether the first wait's deadline was set. */
    private boolean started;
    /** When the wait the last call returned for ends (for {@link System#nanoTime}). */
    private long deadline;

    /** Request bytes kept between calls (a partial head, pipelined bytes), null when none. */
    private byte[] held;
    /** The request bytes of the call in progress: the scratch buffer, or {@link #held} if larger. */
    private byte[] buffer;
    private int filled;
    /** Whether bytes came since the parser last looked, or are left after a request. */
    private boolean unparsed;
    /** The head in the buffer has begun and not ended: its header deadline runs. */
    private boolean begun;

    /** The request whose body is being dropped, and the bytes of it still to come. */
    private HttpRequest discarding;
    private long discardLeft;

    /** The response in progress, null when none: an idle exchange keeps these fields in no object. */
    private Sending sending;

    /** A response in progress: out[outPos..], then the file from filePos to its end. */
    private static final class Sending {
        final HttpRequest request;
        final HttpResponse response;
        final byte[] out;
        final boolean more;
        final HttpResponse.FileRegion file;
        final long fileEnd;
        /** The body bytes, for the listener once the response went out whole. */
        final long bodyBytes;
        int outPos;
        long filePos;

        Sending(HttpRequest request, HttpResponse response, byte[] out, boolean more, HttpResponse.FileRegion file,
                long bodyBytes) {
            this.bodyBytes = bodyBytes;
            this.request = request;
            this.response = response;
            this.out = out;
            this.more = more;
            this.file = file;
            this.filePos = file == null ? 0 : file.offset();
            this.fileEnd = file == null ? 0 : file.offset() + file.length();
        }
    }

    /**
     * The clock: {@link #resume} and {@link #expire} take the owner's reading and never
     * read it themselves. {@link #serve} blocks in I/O, so there a reading goes stale
     * after each read or write, and {@link #now} reads the clock again, only when needed.
     */
    private long nowNanos;
    private boolean clockFresh;
    private boolean blocking;

    /**
     * @param headerTimeout how long a request head may take from its first byte
     * @param idleTimeout how long a connection may wait for its next request from the end of
     *        the last response, and how long a response may wait for the client to take a byte
     *        (both only in {@link #resume}: {@link #serve}'s caller gives the idle deadline,
     *        and a blocking connection has its own send timeout)
     */
    public HttpExchange(Connection connection, RequestLimits limits, Duration headerTimeout, Duration idleTimeout,
            Handler handler, Listener listener, String serverName) {
        this.connection = connection;
        this.parser = new RequestParser(limits);
        this.headerTimeoutNanos = headerTimeout.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.handler = handler;
        this.listener = listener;
        this.serverName = serverName;
    }

    /**
     * Advances the exchange over a non-blocking connection as far as it goes now, and
     * says what to wait for next; {@link #deadlineNanos} says until when. Call it again
     * when the connection is ready for that, and {@link #expire} when the deadline
     * passes first. The first call starts the idle timeout.
     *
     * @param nowNanos {@link System#nanoTime} read by the owner for this turn; the
     *        exchange reads no clock of its own
     * @param scratch the calling thread's buffer for request bytes, used during this call
     *        only (a request head larger than it gets a buffer of its own)
     * @throws IOException from the connection, or when a file shrank while being sent:
     *         the connection is over, and the exchange too
     */
    public Outcome resume(long nowNanos, byte[] scratch) throws IOException {
        this.nowNanos = nowNanos;
        clockFresh = true;
        if (!started) {
            started = true;
            deadline = nowNanos + idleTimeoutNanos;
        }
        return run(scratch, false);
    }

    /**
     * The owner's deadline passed (one from {@link #deadlineNanos}). While idle or sending
     * (no byte taken by the client for the idle timeout) or dropping a request body, the
     * exchange ends quietly; a request head begun and not finished gets a 408 and then ends
     * (that response may itself wait for the window: {@link Outcome#WAIT_WRITE}). If the
     * deadline has moved past nowNanos since (a write made progress), nothing happens and
     * the wait goes on.
     */
    public Outcome expire(long nowNanos) throws IOException {
        this.nowNanos = nowNanos;
        clockFresh = true;
        if (state == State.CLOSED) {
            return Outcome.CLOSE;
        }
        if (started && nowNanos - deadline < 0) {
            return state == State.SENDING ? Outcome.WAIT_WRITE : Outcome.WAIT_READ;
        }
        return run(null, true);
    }

    /**
     * When the wait the last call asked for ends: the idle timeout from the end of the
     * last response; the header timeout from the first byte of a request head (a request
     * body must arrive within it too); while sending, the idle timeout from the last byte
     * the client took. Meaningful after {@link #resume}.
     */
    public long deadlineNanos() {
        return deadline;
    }

    /** Every request so far answered, nothing of another here, nothing in progress. */
    public boolean idle() {
        return state == State.READING && held == null;
    }

    /** Whether the exchange holds a buffer between calls: request bytes or a response. */
    boolean holdsBuffers() {
        return held != null || buffer != null || sending != null || discarding != null;
    }

    /**
     * Serves requests over a blocking connection until it is idle ({@link Outcome#WAIT_READ})
     * or over ({@link Outcome#CLOSE}): the same machine as {@link #resume}, which a blocking
     * connection never leaves mid-write. The first read waits at most until
     * idleDeadlineNanos (for {@link System#nanoTime}); once a request has begun, its head
     * must arrive within the header timeout. The scratch buffer is used while this call runs
     * and never kept.
     */
    public Outcome serve(long idleDeadlineNanos, byte[] scratch) throws IOException {
        if (idle()) {
            deadline = idleDeadlineNanos;
        }
        started = true;
        blocking = true;
        clockFresh = false;
        try {
            while (true) {
                Outcome outcome = run(scratch, false);
                if (outcome == Outcome.CLOSE || outcome == Outcome.WAIT_READ && idle()) {
                    return outcome;
                }
                if (outcome == Outcome.WAIT_WRITE) {
                    throw new IllegalStateException("a blocking connection took no byte");
                }
                // A record without data in the middle of a request: a blocking read waits for the rest.
            }
        } finally {
            blocking = false;
        }
    }

    /** One call: takes the kept bytes into the working buffer, advances, keeps what is left. */
    private Outcome run(byte[] scratch, boolean expired) throws IOException {
        if (state == State.CLOSED) {
            return Outcome.CLOSE;
        }
        buffer = scratch;
        filled = 0;
        if (held != null) {
            if (scratch == null || held.length > scratch.length) {
                buffer = held;
            } else {
                System.arraycopy(held, 0, scratch, 0, held.length);
            }
            filled = held.length;
            held = null;
        }
        boolean done = false;
        try {
            Outcome outcome = expired ? expired() : advance();
            done = true;
            return outcome;
        } finally {
            if (!done) {
                state = State.CLOSED; // the connection failed: nothing more will come of it
            }
            if (state == State.CLOSED) {
                release();
            } else if (filled > 0) {
                held = Arrays.copyOf(buffer, filled);
            }
            buffer = null;
            filled = 0;
        }
    }

    private Outcome advance() throws IOException {
        while (true) {
            Outcome outcome;
            switch (state) {
                case READING:
                    outcome = readHead();
                    break;
                case DISCARDING:
                    outcome = discardBody();
                    break;
                case SENDING:
                    outcome = send() ? responseSent() : Outcome.WAIT_WRITE;
                    break;
                case CLOSED:
                default:
                    outcome = Outcome.CLOSE;
            }
            if (outcome != null) {
                return outcome;
            }
        }
    }

    /** Reads and parses a request head; null when it goes on to the next state. */
    private Outcome readHead() throws IOException {
        if (unparsed && filled > 0) {
            unparsed = false;
            RequestParser.Parsed parsed;
            try {
                parsed = parser.parse(buffer, filled);
            } catch (HttpException e) {
                filled = 0;
                startResponse(null, HttpResponse.error(e.status()).closeAfter());
                return null;
            }
            if (parsed != null) {
                requestHead(parsed);
                return null;
            }
            if (!begun) {
                // The first bytes of a request are here (read just now, or left over after
                // a pipelined one): the rest of its head is due within the header timeout.
                // A head that arrives whole (nearly all) needs no clock reading for it.
                begun = true;
                deadline = now() + headerTimeoutNanos;
            }
        }
        if (filled == 0 && connection.closeAfterResponse()) {
            return close();
        }
        if (filled == buffer.length) {
            buffer = Arrays.copyOf(buffer, buffer.length * 2); // the parser's limits bound this
        }
        int n;
        try {
            n = connection.read(buffer, filled, buffer.length - filled, deadline);
        } catch (SocketTimeoutException e) {
            return expired();
        }
        if (n < 0) {
            return close();
        }
        if (n == 0) {
            return Outcome.WAIT_READ; // nothing now, or a record without data
        }
        filled += n;
        unparsed = true;
        timePassed();
        return null;
    }

    /** A whole head: drop its body (413 if too large), then answer it. */
    private void requestHead(RequestParser.Parsed parsed) throws IOException {
        HttpRequest parsedRequest = parsed.request();
        long body = parsed.bodyLength();
        if (body > MAX_DISCARDED_BODY) {
            filled = 0;
            startResponse(parsedRequest, HttpResponse.error(413).closeAfter());
            return;
        }
        int consumed = parsed.consumed();
        long inBuffer = Math.min(body, filled - consumed);
        consumed += (int) inBuffer;
        filled -= consumed;
        System.arraycopy(buffer, consumed, buffer, 0, filled);
        unparsed = filled > 0;
        discardLeft = body - inBuffer;
        if (discardLeft > 0) {
            // The body is due within the head's deadline, or the header timeout from now.
            if (!begun) {
                deadline = now() + headerTimeoutNanos;
            }
            begun = false;
            discarding = parsedRequest;
            state = State.DISCARDING;
            return;
        }
        begun = false;
        answer(parsedRequest);
    }

    /** Reads and drops the rest of a request body; null when it goes on to the response. */
    private Outcome discardBody() throws IOException {
        // The buffer holds no request bytes now: the body's are dropped into it.
        while (discardLeft > 0) {
            int n;
            try {
                n = connection.read(buffer, 0, (int) Math.min(buffer.length, discardLeft), deadline);
            } catch (SocketTimeoutException e) {
                return expired();
            }
            if (n < 0) {
                return close();
            }
            if (n == 0) {
                return Outcome.WAIT_READ;
            }
            discardLeft -= n;
            timePassed();
        }
        HttpRequest body = discarding;
        discarding = null;
        answer(body);
        return null;
    }

    private void answer(HttpRequest parsedRequest) throws IOException {
        HttpResponse answer = handler.handle(parsedRequest, now());
        if (!parsedRequest.keepAlive() || connection.closeAfterResponse()) {
            answer.closeAfter();
        }
        startResponse(parsedRequest, answer);
    }

    /** Headers and body: the head shares a record with the body (more=true), file bodies go by transferFrom. */
    private void startResponse(HttpRequest forRequest, HttpResponse answer) {
        String version = forRequest == null || forRequest.version().equals("HTTP/1.1") ? "HTTP/1.1" : "HTTP/1.0";
        byte[] head = answer.head(version, HttpDate.now(now()), serverName);
        boolean headOnly = forRequest != null && forRequest.isHead();
        HttpResponse.FileRegion region = answer.fileRegion();
        if (headOnly || answer.contentLength() == 0) {
            sending = new Sending(forRequest, answer, head, false, null, 0);
        } else if (region != null) {
            sending = new Sending(forRequest, answer, head, true, region, region.length());
        } else {
            // One write, so one send (kernel TLS) or one record (user space) for both.
            int length = (int) answer.contentLength();
            byte[] all = Arrays.copyOf(head, head.length + length);
            answer.copyBody(all, head.length);
            sending = new Sending(forRequest, answer, all, false, null, length);
        }
        state = State.SENDING;
        if (!blocking) {
            deadline = now() + idleTimeoutNanos; // the send timeout
        }
    }

    /** Sends what the connection takes of the response in progress: true when all of it is sent. */
    private boolean send() throws IOException {
        Sending r = sending;
        while (r.outPos < r.out.length) {
            int n = connection.write(r.out, r.outPos, r.out.length - r.outPos, r.more);
            if (n <= 0) {
                return false;
            }
            r.outPos += n;
            progressed();
        }
        while (r.file != null && r.filePos < r.fileEnd) {
            long asked = r.fileEnd - r.filePos;
            long n = connection.transferFrom(r.file.file(), r.filePos, asked);
            if (n == 0 && !blocking) {
                return false;
            }
            if (n < 0 || blocking && n < asked) { // a blocking connection takes all there is
                // The file shrank under us: the promised Content-Length cannot be met, so the
                // connection must end here rather than desynchronise the client.
                r.response.closeAfter();
                long sent = r.filePos - r.file.offset() + Math.max(0, n);
                throw new IOException(r.file.file() + " shrank while being sent (" + sent + " of " + r.file.length()
                        + ")");
            }
            r.filePos += n;
            progressed();
        }
        return true;
    }

    /** The client took a byte: the send timeout starts again. */
    private void progressed() {
        timePassed();
        if (!blocking) {
            deadline = nowNanos + idleTimeoutNanos;
        }
    }

    /** The response went out whole: the next request, a wait, or the end; null to go on. */
    private Outcome responseSent() {
        Sending r = sending;
        sending = null;
        listener.responded(r.request, r.response.status(), r.bodyBytes);
        boolean close = r.response.closesConnection() || connection.closeAfterResponse();
        if (close) {
            return close();
        }
        state = State.READING;
        if (filled > 0) {
            // The next request is here already (pipelined); if its head is not whole, its
            // header deadline starts now.
            if (!blocking) {
                deadline = nowNanos + idleTimeoutNanos;
            }
            return null;
        }
        if (!connection.hasBufferedInput()) {
            if (!blocking) {
                deadline = nowNanos + idleTimeoutNanos; // the idle timeout, from the end of this response
            }
            return Outcome.WAIT_READ;
        }
        deadline = now() + headerTimeoutNanos; // the next request is already here
        return null;
    }

    /** A deadline passed: 408 for a head begun, else the quiet end. */
    private Outcome expired() throws IOException {
        if (state == State.READING && filled > 0) {
            filled = 0;
            startResponse(null, HttpResponse.error(408).closeAfter());
            return advance();
        }
        return close();
    }

    private Outcome close() {
        state = State.CLOSED;
        release();
        return Outcome.CLOSE;
    }

    private void release() {
        held = null;
        filled = 0;
        sending = null;
        discarding = null;
    }

    /** The turn's clock reading; in {@link #serve}, read again after time passed in blocking I/O. */
    private long now() {
        if (!clockFresh) {
            nowNanos = System.nanoTime();
            clockFresh = true;
        }
        return nowNanos;
    }

    /** A blocking call returned: its wait may have taken any time. */
    private void timePassed() {
        if (blocking) {
            clockFresh = false;
        }
    }
}
