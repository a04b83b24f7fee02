package io.ktlshttps.net;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Application data over an established TLS connection, whoever does the record layer:
 * the kernel ({@link KernelTlsChannel}) or user space.
 */
public interface TlsChannel extends AutoCloseable {
    /**
     * Reads application data. Returns -1 once the peer has closed: after its close_notify
     * ({@link #peerClosedCleanly()} is then true) or at a bare TCP end of stream.
     *
     * @throws TlsAlertException if the peer sent a fatal alert, or broke the protocol and
     *         we answered with one
     */
    int read(byte[] buffer, int offset, int length) throws IOException;

    /**
     * Reads without waiting: the bytes read, -1 once the peer has closed (as {@link #read}),
     * 0 when no application data is there now (nothing arrived, or only records without
     * data, which were handled).
     */
    int readNow(byte[] buffer, int offset, int length) throws IOException;

    /**
     * Writes without waiting: how many of the bytes were taken, 0 when there is no room now.
     * more=true lets them share a record with what follows.
     */
    int writeNow(byte[] buffer, int offset, int length, boolean more) throws IOException;

    /**
     * Sends up to count bytes of the file from position without waiting, on a socket made
     * non-blocking ({@link NativeSocket#setNonBlocking}): the bytes taken, 0 when there is no
     * room now, -1 when the file has no byte at position.
     */
    long transferNow(Path file, long position, long count) throws IOException;

    /**
     * Bytes this channel took ({@link #writeNow}, {@link #transferNow}) that still wait for
     * room in the socket; {@link #flushNow} sends what fits.
     */
    default boolean hasPendingOutput() {
        return false;
    }

    /** Sends what {@link #hasPendingOutput} holds, without waiting; true when nothing is left. */
    default boolean flushNow() throws IOException {
        return true;
    }

    /** Application data already received and decrypted but not yet read: a read would not wait. */
    boolean hasBufferedInput();

    /** Writes all the bytes; more=true lets them share a record with what follows. */
    void write(byte[] buffer, int offset, int length, boolean more) throws IOException;

    default void write(byte[] buffer, int offset, int length) throws IOException {
        write(buffer, offset, length, false);
    }

    /** Sends count bytes of file from position; returns the bytes sent (fewer if the file is shorter). */
    long transferFrom(Path file, long position, long count) throws IOException;

    /** Whether the last read of -1 followed a close_notify. */
    boolean peerClosedCleanly();

    /** Whether the kernel encrypts (TX) and decrypts (RX) this connection's records. */
    boolean kernelTx();

    boolean kernelRx();

    /**
     * True once the transmit key has reached its record limit and cannot be renewed
     * (TLS 1.2, or a kernel that cannot rekey): the owner ends the connection at the next
     * response boundary.
     */
    default boolean keyExhausted() {
        return false;
    }

    TlsVersion version();

    AeadCipher cipher();

    /**
     * Sends close_notify now, once, without releasing anything: another thread may be
     * blocked reading. Used to end idle keep-alive connections at shutdown.
     */
    void sendCloseNotify() throws IOException;

    /** Sends close_notify (once) and releases the socket. Safe to repeat. */
    @Override
    void close() throws IOException;

    /** Releases the socket without close_notify, e.g. after a fatal alert. */
    void abort();

    /**
     * Releases what the channel holds besides the socket (the file of a transfer in
     * progress): for an owner that ends the connection by closing the socket itself. Safe
     * to repeat.
     */
    default void dispose() {
    }
}
