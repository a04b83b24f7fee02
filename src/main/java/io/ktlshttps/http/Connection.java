package io.ktlshttps.http;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What HTTP needs from a connection, whoever carries it (kernel TLS or user-space TLS):
 * read request bytes, write response bytes, send a file region. Closing is its owner's
 * business, not HTTP's.
 */
public interface Connection {
    /**
     * Reads request bytes; -1 at end of stream. Fails with a timeout once the deadline
     * passes. May return 0 when what arrived carried no data (a TLS control record) and
     * nothing more is there yet: the caller may then wait for readiness instead.
     */
    int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException;

    /** Writes bytes; more=true lets them share a TLS record with what follows (MSG_MORE). */
    void write(byte[] buffer, int offset, int length, boolean more) throws IOException;

    /** Sends count bytes of the file from position (by sendfile(2) where the kernel does TLS). */
    long transferFrom(Path file, long position, long count) throws IOException;

    /** Data received and decrypted but not yet read: a read now would not wait. */
    boolean hasBufferedInput();

    /**
     * True when the connection must end after the response in progress: the server is
     * stopping, or the TLS key reached its record limit and cannot be renewed.
     */
    boolean closeAfterResponse();
}
