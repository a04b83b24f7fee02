package io.ktlshttps.tls;

import io.ktlshttps.net.NativeSocket;
import java.io.EOFException;
import java.io.IOException;

/**
 * One server handshake driven by readiness: BouncyCastle's non-blocking protocol
 * ({@code offerInput}, {@code readOutput}) fed from the socket without ever waiting, so a
 * client that stops half way costs its caller nothing but this object. {@link #advance}
 * takes what the socket has now and returns {@link Progress#NEED_INPUT} when it needs
 * more: the caller waits for readiness (in the poller, with no thread) and calls again.
 *
 * <p>Never a byte past the client's Finished: the bytes after it belong to whoever takes
 * the record layer next, the kernel, which must find them in the socket. BouncyCastle
 * decrypts every whole record it is offered, so this offers only bytes up to the end of
 * the first record that may be the Finished:
 * <ul>
 * <li>Until the server has sent anything, everything the client sent is its first flight,
 *     and no Finished can be in it (the Finished covers the server's messages). One read
 *     takes all of it, and its first byte tells TLS from plain HTTP.</li>
 * <li>After that, a recv(MSG_PEEK | MSG_DONTWAIT) shows what has arrived, and one read takes
 *     it up to and including the first record that may be the client's Finished: the first
 *     handshake record (22) after a ChangeCipherSpec (20), which is TLS 1.2's Finished, or
 *     the first application-data record (23), which is TLS 1.3's (every TLS 1.3 client
 *     handshake message after its ClientHello is type 23 on the wire). Part of a record is
 *     taken too (BouncyCastle keeps it until the rest comes), so a record that arrives in
 *     pieces never leaves the socket readable with nothing to take. Stopping earlier than
 *     the Finished is always safe: after a HelloRetryRequest the second ClientHello (22)
 *     follows the client's compatibility ChangeCipherSpec and ends a batch too, and the next
 *     batch goes on from there.</li>
 * </ul>
 * ({@link FinishedBoundary}). Each flight of ours leaves in one send: BouncyCastle queues
 * every record of a flight, and its output is taken after each batch of input. The socket
 * is non-blocking: what it has no room for waits here ({@link Progress#NEED_OUTPUT}), and
 * nothing more is read until it has left. A TLS 1.2
 * full handshake makes three socket reads: the ClientHello, then a peek and a read for the
 * client's second flight. For one handshake, on one thread at a time.
 */
public final class HandshakeDriver {
    /** What {@link #advance} found. */
    public enum Progress {
        /** The socket has nothing more now: call again when it is readable. */
        NEED_INPUT,
        /** Part of our flight is still to be sent, and the socket has no room now: call again when it is writable. */
        NEED_OUTPUT,
        /** The handshake is done: {@link #established()}. */
        ESTABLISHED,
        /** The client's first byte is an upper-case letter: plain HTTP sent to the TLS port (nothing was offered). */
        PLAIN_HTTP
    }

    /** A record header and the largest TLS 1.2 ciphertext body (2^14 + 2048, RFC 5246 6.2.3). */
    static final int CAPACITY = 5 + 16384 + 2048;
    /** One buffer per thread: nothing stays in it between calls. */
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[CAPACITY]);

    private final NativeSocket socket;
    private final SequenceTrackingCrypto crypto;
    private final KtlsTlsServer server;
    private final KtlsServerProtocol protocol;
    private boolean serverSpoke;
    private boolean started;
    private final FinishedBoundary boundary = new FinishedBoundary();
    private final EarlyDataSkipper earlyData = new EarlyDataSkipper();
    private long socketReads;
    private EstablishedTls established;
    /** What of our last flight the socket has not taken yet, from {@link #unsentOffset}; null when none. */
    private byte[] unsent;
    private int unsentOffset;

    HandshakeDriver(NativeSocket socket, TlsServerConfig config) throws IOException {
        this.socket = socket;
        this.crypto = new SequenceTrackingCrypto(TlsHandshake.random(), config.keyExchange());
        HandshakeTranscript transcript = config.tickets() != null ? new HandshakeTranscript() : null;
        this.server = new KtlsTlsServer(crypto, config, transcript);
        this.protocol = new KtlsServerProtocol(transcript);
        protocol.accept(server); // non-blocking: sets up, reads and writes nothing
    }

    /**
     * Takes what the socket has now and moves the handshake on, sending each flight of
     * ours whole; returns when the socket has nothing more, or the handshake is done.
     *
     * @throws IOException when the handshake fails (after sending BouncyCastle's alert,
     *         if it made one), or the client closed or reset the connection
     */
    public Progress advance() throws IOException {
        if (unsent != null && !flush()) {
            return Progress.NEED_OUTPUT;
        }
        if (established != null) {
            return Progress.ESTABLISHED;
        }
        byte[] buffer = BUFFERS.get();
        while (true) {
            int n;
            socketReads++;
            if (!serverSpoke) {
                n = socket.readNow(buffer, 0, buffer.length);
                if (n < 0) {
                    return Progress.NEED_INPUT;
                }
                if (n == 0) {
                    throw new EOFException(started ? "the client closed during its first flight"
                            : "the client closed before sending anything");
                }
                if (!started && buffer[0] >= 'A' && buffer[0] <= 'Z') {
                    return Progress.PLAIN_HTTP;
                }
                started = true;
                boundary.taken(buffer, n);
                n = earlyData.stripFirstFlight(buffer, n); // 0-RTT records: we accept no early data
                if (n == 0) {
                    continue;
                }
            } else {
                int seen = socket.peekNow(buffer, 0, buffer.length);
                if (seen < 0) {
                    return Progress.NEED_INPUT;
                }
                if (seen == 0) {
                    throw new EOFException("the client closed during the handshake");
                }
                int remainder = earlyData.remainder();
                int take = remainder > 0 ? Math.min(remainder, seen) : boundary.upToFinished(buffer, seen);
                int candidate = remainder > 0 ? -1 : boundary.candidateStart();
                n = 0;
                while (n < take) { // all there: the peek saw them
                    socketReads++;
                    int r = socket.read(buffer, n, take - n);
                    if (r <= 0) {
                        throw new EOFException("the client's records vanished between peek and read");
                    }
                    n += r;
                }
                boundary.taken(buffer, n);
                if (remainder > 0) {
                    earlyData.dropRemainder(n); // the rest of a 0-RTT record from the first flight
                    continue;
                }
                if (candidate >= 0 && earlyData.isEarlyData(buffer, candidate, n - candidate,
                        server.earlyDataOffered(), server.context().getSecurityParametersHandshake())) {
                    n = candidate; // a 0-RTT record, not the Finished: dropped
                    if (n == 0) {
                        continue;
                    }
                }
            }
            boolean answered = offer(buffer, n);
            if (!protocol.isHandshaking()) {
                if (protocol.isClosed()) {
                    throw new EOFException("the handshake ended without completing");
                }
                byte[] ticket = server.takeTls13Ticket(); // TLS 1.3: our NewSessionTicket (sendTls13Ticket)
                if (ticket != null) {
                    protocol.writePostHandshakeMessage(ticket);
                    queueOutput();
                    flush();
                }
                established = new EstablishedTls(protocol, server, crypto, socket.inputStream(),
                        socket.outputStream());
                // Our last flight (TLS 1.2's Finished, TLS 1.3's ticket) leaves before the
                // record layer changes hands.
                return unsent == null ? Progress.ESTABLISHED : Progress.NEED_OUTPUT;
            }
            if (unsent != null) {
                return Progress.NEED_OUTPUT;
            }
            if (answered) {
                // The client answers what we just sent: it cannot be here yet. The caller
                // waits for readiness (and any bytes still in the socket make it ready).
                return Progress.NEED_INPUT;
            }
        }
    }

    /**
     * TLS 1.3: our NewSessionTicket, if the handshake made one, goes out now, after the
     * client's Finished and before anything else: one record through BouncyCastle under the
     * server's application traffic key, so that its sequence number (0) is counted like
     * any other record's, and a kernel or user-space record layer taking over goes on from 1.
     */
    static void sendTls13Ticket(KtlsServerProtocol protocol, KtlsTlsServer server, java.io.OutputStream out)
            throws IOException {
        byte[] ticket = server.takeTls13Ticket();
        if (ticket != null) {
            protocol.writePostHandshakeMessage(ticket);
            send(protocol, out);
        }
    }

    /** The finished handshake; null before {@link #advance} returned {@link Progress#ESTABLISHED}. */
    public EstablishedTls established() {
        return established;
    }

    /** read(2) and recv(2) calls made on the socket, peeks included: for tests. */
    long socketReads() {
        return socketReads;
    }

    /** Whether part of our flight still waits for room in the socket. */
    public boolean hasUnsentOutput() {
        return unsent != null;
    }

    /**
     * Offers the bytes and sends what BouncyCastle answered, as far as the socket takes it
     * now (the rest waits in {@link #unsent}); on a failure, the alert BouncyCastle queued
     * before it threw, if the socket takes it now. True if anything was answered.
     */
    private boolean offer(byte[] bytes, int length) throws IOException {
        try {
            protocol.offerInput(bytes, 0, length);
        } catch (IOException | RuntimeException e) {
            try {
                queueOutput();
                flush(); // best effort: a client that does not read gets no alert
            } catch (IOException unsent) {
                e.addSuppressed(unsent);
            }
            throw e;
        }
        if (queueOutput()) {
            serverSpoke = true;
            flush();
            return true;
        }
        return false;
    }

    /** Takes what BouncyCastle has queued into {@link #unsent}; true if there was anything. */
    private boolean queueOutput() throws IOException {
        int available = protocol.getAvailableOutputBytes();
        if (available == 0) {
            return false;
        }
        byte[] bytes = new byte[available];
        int n = protocol.readOutput(bytes, 0, available);
        if (unsent == null) {
            unsent = n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n);
            unsentOffset = 0;
        } else { // the rest of an earlier flight is still here: this goes after it
            byte[] joined = java.util.Arrays.copyOf(unsent, unsent.length - unsentOffset + n);
            System.arraycopy(unsent, unsentOffset, joined, 0, unsent.length - unsentOffset);
            System.arraycopy(bytes, 0, joined, unsent.length - unsentOffset, n);
            unsent = joined;
            unsentOffset = 0;
        }
        return true;
    }

    /** Sends what waits, as far as the socket takes it now: true when nothing is left. */
    private boolean flush() throws IOException {
        while (unsent != null) {
            int n = socket.writeNow(unsent, unsentOffset, unsent.length - unsentOffset);
            if (n == 0) {
                return false;
            }
            unsentOffset += n;
            if (unsentOffset == unsent.length) {
                unsent = null;
            }
        }
        return true;
    }

    /**
     * Offers the bytes and sends what BouncyCastle answered, in one write: its next flight,
     * or the alert it failed with. True if anything was sent.
     */
    static boolean offer(KtlsServerProtocol protocol, byte[] bytes, int length, java.io.OutputStream out)
            throws IOException {
        try {
            protocol.offerInput(bytes, 0, length);
        } catch (IOException | RuntimeException e) {
            try {
                send(protocol, out); // the alert BouncyCastle queued before it threw
            } catch (IOException unsent) {
                e.addSuppressed(unsent);
            }
            throw e;
        }
        return send(protocol, out);
    }

    /** Sends what BouncyCastle has queued, in one write; true if there was anything. */
    static boolean send(KtlsServerProtocol protocol, java.io.OutputStream out) throws IOException {
        int available = protocol.getAvailableOutputBytes();
        if (available == 0) {
            return false;
        }
        byte[] bytes = new byte[available];
        int n = protocol.readOutput(bytes, 0, available);
        out.write(bytes, 0, n);
        out.flush();
        return true;
    }
}
