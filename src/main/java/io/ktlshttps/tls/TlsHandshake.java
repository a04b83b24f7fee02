package io.ktlshttps.tls;

import io.ktlshttps.net.NativeSocket;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;

/** Runs the server side of a TLS handshake in user space with BouncyCastle. */
public final class TlsHandshake {
    /**
     * The randomness of each handshake (key shares, signatures, nonces' seeds): one DRBG
     * per thread. The default SecureRandom here is NativePRNG, one instance for all, which
     * takes a lock on every call, reads the wall clock, and refills from /dev/urandom with
     * a read(2) every few calls: a contended lock and system calls in every handshake.
     * The JDK's DRBG (NIST SP 800-90A Hash_DRBG, SHA-256) seeds itself once from the
     * system's entropy and then makes no system call.
     */
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(TlsHandshake::newRandom);

    static SecureRandom newRandom() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (java.security.NoSuchAlgorithmException e) {
            return new SecureRandom(); // a JDK without DRBG (before 9): the platform default
        }
    }

    /** The calling thread's DRBG, for the handshake it starts. */
    static SecureRandom random() {
        return RANDOM.get();
    }

    /**
     * BouncyCastle crypto for work that belongs to no connection (parsing the server's
     * certificates, deriving key-update secrets after the handoff): it keeps no state
     * between calls, and a secret it makes refers to it rather than to a connection's crypto.
     */
    static final org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto SHARED_CRYPTO =
            new org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto(newRandom());

    /** How long {@link #accept(NativeSocket, TlsServerConfig)} waits for each of the client's flights. */
    private static final int FLIGHT_WAIT_MILLIS = 30_000;

    private TlsHandshake() {
    }

    /**
     * Starts a handshake on the socket, to be driven by readiness
     * ({@link HandshakeDriver#advance}); nothing is read or sent yet.
     */
    public static HandshakeDriver start(NativeSocket socket, TlsServerConfig config) throws IOException {
        return new HandshakeDriver(socket, config);
    }

    /**
     * Handshakes over the socket, waiting (poll(2)) up to 30 s for each of the client's
     * flights: {@link #start} for a caller with a thread to spare (tests).
     */
    public static EstablishedTls accept(NativeSocket socket, TlsServerConfig config) throws IOException {
        HandshakeDriver driver = start(socket, config);
        while (true) {
            switch (driver.advance()) {
                case ESTABLISHED:
                    return driver.established();
                case PLAIN_HTTP:
                    throw new IOException("plain HTTP on the TLS port");
                case NEED_OUTPUT:
                    if (!socket.writableWithin(FLIGHT_WAIT_MILLIS)) {
                        throw new SocketTimeoutException("the client took none of our flight within "
                                + FLIGHT_WAIT_MILLIS + " ms");
                    }
                    break;
                case NEED_INPUT:
                default:
                    if (!socket.readableWithin(FLIGHT_WAIT_MILLIS)) {
                        throw new SocketTimeoutException("no flight from the client within " + FLIGHT_WAIT_MILLIS
                                + " ms");
                    }
            }
        }
    }

    /**
     * Handshakes over a pair of streams, one record at a time (its 5-byte header, then its
     * body), so that bytes the client sent after its Finished stay unread in the transport,
     * for the kernel or for user-space records to take later, exactly once. Each flight of
     * ours leaves in one write.
     */
    public static EstablishedTls accept(InputStream in, OutputStream out, TlsServerConfig config) throws IOException {
        SequenceTrackingCrypto crypto = new SequenceTrackingCrypto(random(), config.keyExchange());
        KtlsTlsServer server = new KtlsTlsServer(crypto, config);
        KtlsServerProtocol protocol = new KtlsServerProtocol();
        protocol.accept(server);
        byte[] record = new byte[HandshakeDriver.CAPACITY];
        while (protocol.isHandshaking()) {
            readFully(in, record, 0, 5);
            int length = (record[3] & 0xff) << 8 | record[4] & 0xff;
            if (5 + length > record.length) {
                HandshakeDriver.offer(protocol, record, 5, out); // BouncyCastle refuses the header: record_overflow
                throw new IOException("record too large: " + length);
            }
            readFully(in, record, 5, length);
            HandshakeDriver.offer(protocol, record, 5 + length, out);
        }
        if (protocol.isClosed()) {
            throw new EOFException("the handshake ended without completing");
        }
        return new EstablishedTls(protocol, server, crypto, in, out);
    }

    private static void readFully(InputStream in, byte[] buffer, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(buffer, offset + done, length - done);
            if (n < 0) {
                throw new EOFException("the client closed during the handshake");
            }
            done += n;
        }
    }
}
