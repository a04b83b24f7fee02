package io.ktlshttps.http;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What HTTP needs from a connection, whoever carries it (kernel TLS or user-space TLS):
 * read request bytes, write response bytes, send a file region. Closing is its owner's
 * business, not HTTP's.
 *
 * <p>A connection is blocking (reads wait until their deadline, writes and transfers take
 * everything) or non-blocking (nothing waits: a read returns 0 and a write or a transfer
 * takes what the client's window has room for, 0 when none). {@link HttpExchange} works
 * over either: see {@link HttpExchange#serve} and {@link HttpExchange#resume}.
 */
public interface Connection {
    /**
     * Reads request bytes; -1 at end of stream. May return 0 when nothing is there now:
     * what arrived carried no data (a TLS control record), or, on a non-blocking
     * connection, nothing arrived. A blocking connection waits for bytes until the deadline
     * and then fails with a {@link java.net.SocketTimeoutException}; a non-blocking one
     * ignores it.
     */
    int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException;

    /**
     * Writes bytes; more=true lets them share a TLS record with what follows (MSG_MORE).
     * Returns how many were taken: all of them on a blocking connection; on a non-blocking
     * one possibly fewer, 0 when it would block.
     */
    int write(byte[] buffer, int offset, int length, boolean more) throws IOException;

    /**
     * Sends up to count bytes of the file from position (by sendfile(2) where the kernel
     * does TLS). Returns how many were taken: fewer than count when a non-blocking
     * connection's window filled (0: would block) or when the file ended there (the next
     * call then says so), or -1 when the file has no byte at position: it is shorter than
     * the region asked for.
     */
    long transferFrom(Path file, long position, long count) throws IOException;

    /** Data received and decrypted but not yet read: a read now would not wait. */
    boolean hasBufferedInput();

    /**
     * True when the connection must end after the response in progress: the server is
     * stopping, or the TLS key reached its record limit and cannot be renewed.
     */
    boolean closeAfterResponse();
}
