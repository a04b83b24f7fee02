package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsChannel;
import io.ktlshttps.net.TlsVersion;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * The fallback: BouncyCastle encrypts and decrypts every record in user space. Used when
 * the kernel has no TLS, lacks the negotiated cipher, or kernel TLS is switched off.
 */
public final class UserSpaceTlsChannel implements TlsChannel {
    /** The largest TLS plaintext record, RFC 8446 section 5.1: file bodies go in records this big. */
    private static final int RECORD_SIZE = 16384;

    private final TlsServerProtocol protocol;
    private final KtlsTlsServer server;
    private final Closeable transport;
    private final TlsVersion version;
    private final AeadCipher cipher;
    private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();

    UserSpaceTlsChannel(TlsServerProtocol protocol, KtlsTlsServer server, Closeable transport,
            TlsVersion version, AeadCipher cipher) {
        this.protocol = protocol;
        this.server = server;
        this.transport = transport;
        this.version = version;
        this.cipher = cipher;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
            // A bare TCP end of stream reads as -1 too: BouncyCastle answers it with
            // close_notify (KtlsTlsServer.requiresCloseNotify) instead of failing.
            return protocol.readApplicationData(buffer, offset, length);
        } catch (TlsFatalAlertReceived e) {
            throw new TlsAlertException(true, TlsAlert.FATAL, e.getAlertDescription(), "");
        } catch (TlsFatalAlert e) {
            throw new TlsAlertException(false, TlsAlert.FATAL, e.getAlertDescription(), e.getMessage());
        }
    }

    /** BouncyCastle decrypts whole records: what the caller has not read yet waits in its queue. */
    @Override
    public boolean hasBufferedInput() {
        return protocol.applicationDataAvailable() > 0;
    }

    /**
     * With more=true the bytes wait here and go out with the next write, so response
     * headers and a small body share one record, as MSG_MORE does in the kernel.
     */
    @Override
    public void write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        if (more) {
            held.write(buffer, offset, length);
            return;
        }
        if (held.size() > 0) {
            held.write(buffer, offset, length);
            flushHeld();
            return;
        }
        protocol.writeApplicationData(buffer, offset, length);
    }

    private void flushHeld() throws IOException {
        byte[] bytes = held.toByteArray();
        held.reset();
        protocol.writeApplicationData(bytes, 0, bytes.length);
    }

    /** Reads the file through the JVM and writes it in full-size records. */
    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        byte[] chunk = new byte[RECORD_SIZE];
        long done = 0;
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(position);
            while (done < count) {
                // The first record also carries any held header bytes, up to a full record.
                int room = Math.max(1, chunk.length - held.size());
                int n = in.read(chunk, 0, (int) Math.min(room, count - done));
                if (n < 0) {
                    break;
                }
                write(chunk, 0, n, false);
                done += n;
            }
        }
        if (held.size() > 0) {
            flushHeld();
        }
        return done;
    }

    @Override
    public boolean peerClosedCleanly() {
        return server.closeNotifyReceived();
    }

    @Override
    public boolean kernelTx() {
        return false;
    }

    @Override
    public boolean kernelRx() {
        return false;
    }

    @Override
    public TlsVersion version() {
        return version;
    }

    @Override
    public AeadCipher cipher() {
        return cipher;
    }

    /** BouncyCastle sends close_notify (its close() does so once); the socket stays open. */
    @Override
    public void sendCloseNotify() throws IOException {
        protocol.close();
    }

    /** BouncyCastle sends close_notify (once); then the socket is released. */
    @Override
    public void close() throws IOException {
        try {
            protocol.close();
        } catch (IOException e) {
            // The peer may be gone already; release the socket regardless.
        } finally {
            transport.close();
        }
    }

    @Override
    public void abort() {
        try {
            transport.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }
}
