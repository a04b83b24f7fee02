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
 * <p>{@link #serve} returns as soon as the connection has nothing more to give: then
 * the owner may wait for the next bytes without a thread (in a readiness selector) and
 * call {@link #serve} again. Between calls the exchange keeps no buffer.
 */
public final class HttpExchange {
    /** Request bodies (which GET and HEAD do not use) are read and dropped up to this size; larger is 413. */
    static final long MAX_DISCARDED_BODY = 1 << 20;

    /** What the owner does next. */
    public enum Outcome {
        /** Every request so far is answered and no byte of another is here: wait for input. */
        WAIT,
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

    private final Connection connection;
    private final RequestParser parser;
    private final Duration headerTimeout;
    private final Handler handler;
    private final Listener listener;
    private final String serverName;

    public HttpExchange(Connection connection, RequestLimits limits, Duration headerTimeout, Handler handler,
            Listener listener, String serverName) {
        this.connection = connection;
        this.parser = new RequestParser(limits);
        this.headerTimeout = headerTimeout;
        this.handler = handler;
        this.listener = listener;
        this.serverName = serverName;
    }

    /**
     * Serves requests until the connection is idle ({@link Outcome#WAIT}) or over
     * ({@link Outcome#CLOSE}). The first read waits at most until idleDeadlineNanos (for
     * {@link System#nanoTime}); once a request has begun, its head must arrive within the
     * header timeout. The scratch buffer is used while this call runs and never kept.
     */
    public Outcome serve(long idleDeadlineNanos, byte[] scratch) throws IOException {
        byte[] buffer = scratch;
        int filled = 0;
        while (true) {
            if (filled == 0 && connection.closeAfterResponse()) {
                return Outcome.CLOSE;
            }
            // Set when a request is found to have begun and not ended: a head that arrives
            // whole (nearly all) needs no clock reading for it.
            long headerDeadline = 0;
            boolean begun = false;
            RequestParser.Parsed parsed;
            try {
                while ((parsed = parser.parse(buffer, filled)) == null) {
                    if (filled > 0 && !begun) {
                        // The first bytes of a request are here (read just now, or left over
                        // after a pipelined one): the rest of its head is due within the
                        // header timeout.
                        headerDeadline = System.nanoTime() + headerTimeout.toNanos();
                        begun = true;
                    }
                    if (filled == buffer.length) {
                        buffer = Arrays.copyOf(buffer, buffer.length * 2); // the parser's limits bound this
                    }
                    int n = connection.read(buffer, filled, buffer.length - filled,
                            begun ? headerDeadline : idleDeadlineNanos);
                    if (n < 0) {
                        return Outcome.CLOSE;
                    }
                    if (n == 0) {
                        if (filled == 0) {
                            return Outcome.WAIT; // woken by a record without data: wait again
                        }
                        continue;
                    }
                    filled += n;
                }
            } catch (SocketTimeoutException e) {
                if (filled > 0) {
                    respond(null, HttpResponse.error(408).closeAfter(), System.nanoTime());
                }
                return Outcome.CLOSE;
            } catch (HttpException e) {
                respond(null, HttpResponse.error(e.status()).closeAfter(), System.nanoTime());
                return Outcome.CLOSE;
            }
            long now = System.nanoTime();
            HttpRequest request = parsed.request();
            int consumed = parsed.consumed();
            long body = parsed.bodyLength();
            if (body > MAX_DISCARDED_BODY) {
                respond(request, HttpResponse.error(413).closeAfter(), now);
                return Outcome.CLOSE;
            }
            long inBuffer = Math.min(body, filled - consumed);
            consumed += (int) inBuffer;
            if (!discard(body - inBuffer, begun ? headerDeadline : now + headerTimeout.toNanos())) {
                return Outcome.CLOSE;
            }
            filled -= consumed;
            System.arraycopy(buffer, consumed, buffer, 0, filled);
            HttpResponse response = handler.handle(request, now);
            if (!request.keepAlive() || connection.closeAfterResponse()) {
                response.closeAfter();
            }
            respond(request, response, now);
            if (response.closesConnection() || connection.closeAfterResponse()) {
                return Outcome.CLOSE;
            }
            if (filled == 0 && !connection.hasBufferedInput()) {
                return Outcome.WAIT;
            }
            idleDeadlineNanos = System.nanoTime() + headerTimeout.toNanos(); // the next request is already here
        }
    }

    /** Reads and drops a request body. False if the client closed first. */
    private boolean discard(long length, long deadline) throws IOException {
        if (length <= 0) {
            return true; // nearly every request: no buffer to allocate
        }
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

    /** Headers and body: the head shares a record with the body (more=true), file bodies go by transferFrom. */
    private void respond(HttpRequest request, HttpResponse response, long nowNanos) throws IOException {
        String version = request == null || request.version().equals("HTTP/1.1") ? "HTTP/1.1" : "HTTP/1.0";
        byte[] head = response.head(version, HttpDate.now(nowNanos), serverName);
        boolean headOnly = request != null && request.isHead();
        HttpResponse.FileRegion file = response.fileRegion();
        long bodyBytes = 0;
        if (headOnly || response.contentLength() == 0) {
            connection.write(head, 0, head.length, false);
        } else if (file != null) {
            connection.write(head, 0, head.length, true);
            bodyBytes = connection.transferFrom(file.file(), file.offset(), file.length());
            if (bodyBytes != file.length()) {
                // The file shrank under us: the promised Content-Length cannot be met, so the
                // connection must end here rather than desynchronise the client.
                response.closeAfter();
                throw new IOException(file.file() + " shrank while being sent (" + bodyBytes + " of "
                        + file.length() + ")");
            }
        } else {
            // One write, so one send (kernel TLS) or one record (user space) for both.
            int length = (int) response.contentLength();
            byte[] all = Arrays.copyOf(head, head.length + length);
            response.copyBody(all, head.length);
            connection.write(all, 0, all.length, false);
            bodyBytes = length;
        }
        listener.responded(request, response.status(), bodyBytes);
    }
}
