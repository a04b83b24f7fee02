package io.ktlshttps.http;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What HTTP needs from a connection, whoever carries it (kernel TLS or user-space TLS):
 * read request bytes, write response bytes, send a file region, close.
 */
public interface Connection {
    /** Reads request bytes; -1 at end of stream. Fails with a timeout once the deadline passes. */
    int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException;

    /** Writes bytes; more=true lets them share a TLS record with what follows (MSG_MORE). */
    void write(byte[] buffer, int offset, int length, boolean more) throws IOException;

    /** Sends count bytes of the file from position (by sendfile(2) where the kernel does TLS). */
    long transferFrom(Path file, long position, long count) throws IOException;
}
