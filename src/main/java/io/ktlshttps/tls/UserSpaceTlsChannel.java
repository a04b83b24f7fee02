package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsChannel;
import io.ktlshttps.net.TlsVersion;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;

/**
 * The fallback: BouncyCastle encrypts and decrypts every record in user space. Used when
 * the kernel has no TLS, lacks the negotiated cipher, or kernel TLS is switched off.
 * BouncyCastle runs in its non-blocking mode, as for the handshake: this reads what the
 * transport has, offers it (BouncyCastle keeps a partial record until the rest comes), and
 * sends whatever BouncyCastle queued (records, its answers to alerts and KeyUpdates) at once.
 */
public final class UserSpaceTlsChannel implements TlsChannel {
    /** The largest TLS plaintext record, RFC 8446 section 5.1: file bodies go in records this big. */
    private static final int RECORD_SIZE = 16384;

    /** The read buffer of each thread: ciphertext is offered before the read returns, and none is kept. */
    private static final ThreadLocal<byte[]> INBOX = ThreadLocal.withInitial(() -> new byte[HandshakeDriver.CAPACITY]);

    private final KtlsServerProtocol protocol;
    private final KtlsTlsServer server;
    private final InputStream in;
    private final OutputStream out;
    private final Closeable transport;
    /** Ciphertext read from the transport and not yet offered (records after one that brought data, or part of one); null when none. */
    private byte[] pending;
    private final TlsVersion version;
    private final AeadCipher cipher;
    private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();

    UserSpaceTlsChannel(KtlsServerProtocol protocol, KtlsTlsServer server, InputStream in, OutputStream out,
            Closeable transport, TlsVersion version, AeadCipher cipher) {
        this.protocol = protocol;
        this.server = server;
        this.in = in;
        this.out = out;
        this.transport = transport;
        this.version = version;
        this.cipher = cipher;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        try {
            while (protocol.getAvailableInputBytes() == 0) {
                if (protocol.isClosed()) {
                    return -1; // after the peer's close_notify (answered with ours), or a failure
                }
                if (!receive()) {
                    // A bare TCP end of stream reads as -1 too: BouncyCastle answers it with
                    // close_notify (KtlsTlsServer.requiresCloseNotify) instead of failing.
                    protocol.closeInput();
                    flush();
                    return -1;
                }
            }
            return protocol.readInput(buffer, offset, length);
        } catch (TlsFatalAlertReceived e) {
            throw new TlsAlertException(true, TlsAlert.FATAL, e.getAlertDescription(), "");
        } catch (TlsFatalAlert e) {
            throw new TlsAlertException(false, TlsAlert.FATAL, e.getAlertDescription(), e.getMessage());
        }
    }

    /**
     * Offers the records that are here, one at a time, until one brings application data:
     * those pending from the last read first, else what the transport has now (reading at
     * least once). One at a time, because BouncyCastle acts on every record it is offered:
     * a close_notify that came behind a request, offered with it, would close the connection
     * before the response is written. What is left waits in {@link #pending}. False at the
     * end of the stream.
     */
    private boolean receive() throws IOException {
        byte[] inbox = INBOX.get();
        int filled = 0;
        if (pending != null) {
            filled = pending.length;
            System.arraycopy(pending, 0, inbox, 0, filled);
            pending = null;
        }
        if (recordEnd(inbox, 0, filled) < 0) {
            int n = in.read(inbox, filled, inbox.length - filled);
            if (n < 0) {
                if (filled > 0) {
                    protocol.offerInput(inbox, 0, filled); // the start of a record: BouncyCastle keeps it, and
                }                                          // closeInput fails (EOFException), as a truncation should
                return false;
            }
            filled += n;
        }
        int at = 0;
        while (protocol.getAvailableInputBytes() == 0 && !protocol.isClosed()) {
            int end = recordEnd(inbox, at, filled);
            if (end < 0) {
                break;
            }
            try {
                protocol.offerInput(inbox, at, end - at);
            } finally {
                flush(); // its answer, or the alert it failed with
            }
            at = end;
        }
        if (at < filled) {
            pending = java.util.Arrays.copyOfRange(inbox, at, filled);
        }
        return true;
    }

    /**
     * Before the record layer moves to the kernel: offers every whole record read from the
     * transport and not offered yet, so that their plaintext goes along with what
     * BouncyCastle has decrypted (the kernel will only see what is still in the socket).
     * False if part of a record was read: the kernel cannot take the connection then.
     */
    boolean offerPendingForHandoff() throws IOException {
        if (pending == null) {
            return true;
        }
        byte[] bytes = pending;
        pending = null;
        int at = 0;
        int end;
        while ((end = recordEnd(bytes, at, bytes.length)) >= 0 && !protocol.isClosed()) {
            try {
                protocol.offerInput(bytes, at, end - at);
            } finally {
                flush();
            }
            at = end;
        }
        if (at < bytes.length) {
            pending = java.util.Arrays.copyOfRange(bytes, at, bytes.length);
            return false;
        }
        return true;
    }

    /**
     * Where the record that starts at {@code at} ends, or -1 if it is not all here. A header
     * announcing more than a record may hold ends at the header: BouncyCastle refuses it
     * (record_overflow).
     */
    private static int recordEnd(byte[] bytes, int at, int filled) {
        if (filled - at < 5) {
            return -1;
        }
        int end = at + 5 + ((bytes[at + 3] & 0xff) << 8 | bytes[at + 4] & 0xff);
        if (end - at > HandshakeDriver.CAPACITY) {
            return at + 5;
        }
        return end <= filled ? end : -1;
    }

    /** Sends what BouncyCastle has queued, in one write. */
    private void flush() throws IOException {
        HandshakeDriver.send(protocol, out);
    }

    /**
     * BouncyCastle decrypts whole records: what the caller has not read yet waits in its
     * queue; and whole records read from the transport but not offered yet wait in
     * {@link #pending} (the transport would not show them as readable any more).
     */
    @Override
    public boolean hasBufferedInput() {
        return protocol.getAvailableInputBytes() > 0 || pending != null && recordEnd(pending, 0, pending.length) >= 0;
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
        flush();
    }

    private void flushHeld() throws IOException {
        byte[] bytes = held.toByteArray();
        held.reset();
        protocol.writeApplicationData(bytes, 0, bytes.length);
        flush();
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
        flush();
    }

    /** BouncyCastle sends close_notify (once); then the socket is released. */
    @Override
    public void close() throws IOException {
        try {
            protocol.close();
            flush();
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
