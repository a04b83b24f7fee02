package io.ktlshttps.tls;

import io.ktlshttps.net.NativeSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
    /**
     * BouncyCastle crypto for work that belongs to no connection (parsing the server's
     * certificates, deriving key-update secrets after the handoff): it keeps no state
     * between calls, and a secret it makes refers to it rather than to a connection's crypto.
     */
    static final org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto SHARED_CRYPTO =
            new org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto(newRandom());

    private TlsHandshake() {
    }

    /** Handshakes over the socket: its records read whole ({@link HandshakeInput}), its flights sent whole. */
    public static EstablishedTls accept(NativeSocket socket, TlsServerConfig config) throws IOException {
        return accept(socket, new HandshakeInput(socket), config);
    }

    /**
     * Handshakes over the socket, reading through {@code input}, which may already hold
     * the client's first bytes ({@link HandshakeInput#firstByte}).
     */
    public static EstablishedTls accept(NativeSocket socket, HandshakeInput input, TlsServerConfig config)
            throws IOException {
        return accept(input, new FlightOutput(socket.outputStream(), input::serverSpoke), input, config);
    }

    /**
     * Handshakes over a pair of streams, in BouncyCastle's blocking mode, which reads one
     * record at a time (a 5-byte header, then its body) and returns right after the
     * client's Finished. Bytes the client sent after its Finished stay unread in the
     * transport, for the kernel or for BouncyCastle to decrypt later, exactly once. The
     * input must therefore not read ahead ({@link HandshakeInput} reads ahead only up to
     * the Finished). The output is held per flight
     * ({@link FlightOutput}): one send per flight, not one per record.
     */
    public static EstablishedTls accept(InputStream in, OutputStream out, TlsServerConfig config) throws IOException {
        return accept(in, new FlightOutput(out), null, config);
    }

    private static EstablishedTls accept(InputStream in, FlightOutput flight, HandshakeInput readAhead,
            TlsServerConfig config) throws IOException {
        SequenceTrackingCrypto crypto = new SequenceTrackingCrypto(RANDOM.get(), config.keyExchange());
        KtlsTlsServer server = new KtlsTlsServer(crypto, config);
        KtlsServerProtocol protocol = new KtlsServerProtocol(flight.input(in), flight);
        try {
            protocol.accept(server);
        } catch (IOException | RuntimeException e) {
            try {
                flight.passThrough(); // the alert BouncyCastle wrote before it threw
            } catch (IOException unsent) {
                e.addSuppressed(unsent);
            }
            throw e;
        } finally {
            if (readAhead != null) {
                readAhead.handshakeOver();
            }
        }
        flight.passThrough(); // the last flight (TLS 1.2: ChangeCipherSpec and Finished)
        return new EstablishedTls(protocol, server, crypto, readAhead);
    }
}
