package io.ktlshttps.tls;

import java.io.IOException;
import org.bouncycastle.tls.ContentType;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * BouncyCastle's server protocol in its non-blocking mode (input offered, output taken:
 * {@link HandshakeDriver}, {@link UserSpaceTlsChannel}), with a way to end an established
 * connection by a fatal alert, a transcript of the handshake (for TLS 1.3 tickets: the
 * protected record hooks see every handshake record in plaintext, ours and the client's),
 * and a way to send a post-handshake message (our TLS 1.3 NewSessionTicket).
 */
final class KtlsServerProtocol extends TlsServerProtocol {
    /** Null where no transcript is wanted (TLS 1.3 tickets off). */
    private final HandshakeTranscript transcript;

    KtlsServerProtocol() {
        this(null);
    }

    KtlsServerProtocol(HandshakeTranscript transcript) {
        super();
        this.transcript = transcript;
    }

    /** Queues the fatal alert under the current keys and closes (TlsProtocol's own failure path). */
    void fail(short alertDescription, String message) throws IOException {
        raiseAlertFatal(alertDescription, message, null);
    }

    @Override
    protected void processRecord(short protocol, byte[] buf, int off, int len) throws IOException {
        if (transcript != null && protocol == ContentType.handshake) {
            transcript.append(buf, off, len); // before BouncyCastle handles it: a ClientHello is whole in getExternalPSK
        }
        super.processRecord(protocol, buf, off, len);
    }

    @Override
    protected void safeWriteRecord(short type, byte[] buf, int offset, int len) throws IOException {
        if (transcript != null && type == ContentType.handshake) {
            transcript.append(buf, offset, len);
        }
        super.safeWriteRecord(type, buf, offset, len);
    }

    /**
     * Sends one whole handshake message under the current write keys, as one record: a
     * TLS 1.3 post-handshake message (not transcript: the transcript is closed by then).
     * The output is taken as any other ({@link HandshakeDriver#send}).
     */
    void writePostHandshakeMessage(byte[] message) throws IOException {
        safeWriteRecord(ContentType.handshake, message, 0, message.length);
    }
}
