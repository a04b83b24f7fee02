package io.ktlshttps.tls;

import io.ktlshttps.net.NativeSocket;
import java.io.IOException;
import java.io.InputStream;

/**
 * The handshake's input from a socket: whole records in one read(2), never a byte past
 * the client's Finished.
 *
 * <p>BouncyCastle reads one record at a time, its 5-byte header and then its body: two
 * reads per record, six for a TLS 1.2 client's second flight (ClientKeyExchange,
 * ChangeCipherSpec, Finished). The bytes after the Finished belong to whoever takes the
 * record layer next: the kernel, which must find them in the socket. So this reads ahead
 * only as far as is provably before the end of the Finished:
 * <ul>
 * <li>Until the server has sent anything, everything the client sent is its first flight,
 *     and no Finished can be in it (the Finished covers the server's messages). One read
 *     takes all of it; this also serves the first byte that tells TLS from plain HTTP,
 *     where a recv(MSG_PEEK) did before.</li>
 * <li>After that, a recv(MSG_PEEK) shows what has arrived, and one read takes the
 *     complete records in it up to and including the first that may be the client's
 *     Finished: the first handshake record (22) after a ChangeCipherSpec (20), which is
 *     TLS 1.2's Finished, or the first application-data record (23), which is TLS 1.3's
 *     (every TLS 1.3 client handshake message after its ClientHello is type 23 on the wire).
 *     Stopping earlier than the Finished is always safe, only slower: after a
 *     HelloRetryRequest the second ClientHello (22) follows the client's compatibility
 *     ChangeCipherSpec and ends a batch too.</li>
 * <li>Once a record that may be the Finished has been read, or when the peek holds no
 *     complete record, or the stream is not at a record boundary, a read asks the socket
 *     for no more than BouncyCastle asked for, which never crosses the record it is in.</li>
 * </ul>
 * Every byte handed out passes a record-boundary tracker, so the next batch starts at a
 * record header. For one handshake, on one thread; afterwards (user-space records) reads
 * pass straight to the socket.
 */
public final class HandshakeInput extends InputStream {
    /** A record header and the largest TLS 1.2 ciphertext body (2^14 + 2048, RFC 5246 6.2.3). */
    static final int CAPACITY = 5 + 16384 + 2048;
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int HANDSHAKE = 22;
    private static final int APPLICATION_DATA = 23;
    /** One buffer per thread: a handshake runs on one thread from start to end, and hands its buffer back empty. */
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[CAPACITY]);

    private final NativeSocket socket;
    private byte[] buffer;
    private int position;
    private int limit;
    private boolean serverSpoke;
    private boolean mayHaveReadFinished;
    private boolean handshakeOver;
    /** Record-boundary tracking of every byte handed out: the header being gathered, and the body bytes still to come. */
    private final byte[] header = new byte[5];
    private int headerFill;
    private int bodyLeft;
    private boolean afterChangeCipherSpec;
    private long socketReads;

    public HandshakeInput(NativeSocket socket) {
        this.socket = socket;
    }

    /**
     * The first byte the client sent, without consuming it; -1 at end of stream. Waits
     * for it (the socket's read timeout applies).
     */
    public int firstByte() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position] & 0xff;
    }

    /** The server has sent bytes: from now on the client may have sent its Finished. */
    void serverSpoke() {
        serverSpoke = true;
    }

    /** Bytes read from the socket and not yet handed out. */
    int buffered() {
        return limit - position;
    }

    /** read(2) and recv(2) calls this made on the socket, peeks included: for tests. */
    long socketReads() {
        return socketReads;
    }

    /** The handshake ended: from now on reads go to the socket as asked. */
    void handshakeOver() {
        handshakeOver = true;
        if (position == limit) {
            buffer = null; // the thread's buffer stays with the thread
        } else {
            // Cannot happen (the batches end at the Finished), but if it did, the bytes
            // must neither be lost nor live in a buffer another handshake will reuse.
            buffer = java.util.Arrays.copyOfRange(buffer, position, limit);
            limit -= position;
            position = 0;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (position == limit) {
            if (handshakeOver || mayHaveReadFinished || !atRecordBoundary() && serverSpoke) {
                return direct(b, off, len);
            }
            if (!fill()) {
                return direct(b, off, len);
            }
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(buffer, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return limit - position;
    }

    private int direct(byte[] b, int off, int len) throws IOException {
        socketReads++;
        int n = socket.read(b, off, len);
        if (n > 0 && !handshakeOver) {
            track(b, off, n);
        }
        return n;
    }

    /**
     * Reads ahead into the empty buffer; false when nothing could be (end of stream, or the
     * peek held no complete record), and the caller reads as asked instead.
     */
    private boolean fill() throws IOException {
        if (buffer == null) {
            buffer = BUFFERS.get();
        }
        position = 0;
        limit = 0;
        int n;
        if (!serverSpoke) {
            socketReads++;
            n = socket.read(buffer, 0, buffer.length);
            if (n <= 0) {
                return false;
            }
        } else {
            socketReads++;
            int seen = socket.peek(buffer, 0, buffer.length);
            int take = completeRecordsUpToFinished(buffer, seen);
            if (take == 0) {
                return false;
            }
            n = 0;
            while (n < take) { // all there: the peek saw them
                socketReads++;
                int r = socket.read(buffer, n, take - n);
                if (r <= 0) {
                    throw new java.io.EOFException("the peer's records vanished between peek and read");
                }
                n += r;
            }
        }
        track(buffer, 0, n);
        limit = n;
        return true;
    }

    /** How many of the first {@code seen} bytes are complete records, ending at the first that may be the Finished. */
    private int completeRecordsUpToFinished(byte[] bytes, int seen) {
        boolean changed = afterChangeCipherSpec;
        int at = 0;
        while (at + 5 <= seen) {
            int type = bytes[at] & 0xff;
            int end = at + 5 + ((bytes[at + 3] & 0xff) << 8 | bytes[at + 4] & 0xff);
            if (end > seen) {
                break;
            }
            at = end;
            if (type == APPLICATION_DATA || type == HANDSHAKE && changed) {
                break;
            }
            if (type == CHANGE_CIPHER_SPEC) {
                changed = true;
            }
        }
        return at;
    }

    private boolean atRecordBoundary() {
        return headerFill == 0 && bodyLeft == 0;
    }

    /** Follows the record boundaries through bytes handed out, and notes a record that may be the Finished. */
    private void track(byte[] bytes, int off, int n) {
        int at = off;
        int end = off + n;
        while (at < end) {
            if (bodyLeft == 0 && headerFill < 5) {
                int take = Math.min(5 - headerFill, end - at);
                System.arraycopy(bytes, at, header, headerFill, take);
                headerFill += take;
                at += take;
                if (headerFill < 5) {
                    return;
                }
                bodyLeft = (header[3] & 0xff) << 8 | header[4] & 0xff;
            } else {
                int take = Math.min(bodyLeft, end - at);
                bodyLeft -= take;
                at += take;
            }
            if (headerFill == 5 && bodyLeft == 0) {
                recordEnded(header[0] & 0xff);
                headerFill = 0;
            }
        }
    }

    private void recordEnded(int type) {
        if (type == APPLICATION_DATA || type == HANDSHAKE && afterChangeCipherSpec) {
            mayHaveReadFinished = true;
        } else if (type == CHANGE_CIPHER_SPEC) {
            afterChangeCipherSpec = true;
        }
    }
}
