package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.NativeSocket;
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
    /** The transport without waiting, where the channel was made over a NativeSocket; null over streams. */
    private final NativeSocket socket;
    /** Set once the channel is used without waiting ({@code *Now}): output then goes through {@link #unsent}. */
    private boolean nonBlocking;
    /** Records made and not yet taken by the socket (from {@link #unsentOffset}); null when none. */
    private byte[] unsent;
    private int unsentOffset;
    /** The file of a transfer in progress, kept open between its calls. */
    private java.nio.channels.FileChannel openFile;
    private Path openPath;
    private long openNext;
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
        this.socket = transport instanceof NativeSocket native_ ? native_ : null;
        this.version = version;
        this.cipher = cipher;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, false);
    }

    /**
     * A bare TCP end of stream reads as -1 too: BouncyCastle answers it with close_notify
     * (KtlsTlsServer.requiresCloseNotify) instead of failing.
     */
    private int endOfStream() throws IOException {
        protocol.closeInput();
        flush();
        return -1;
    }

    @Override
    public int readNow(byte[] buffer, int offset, int length) throws IOException {
        nonBlocking = true;
        return read(buffer, offset, length, true);
    }

    /** now: without waiting (0 when no application data is there); else until some comes. */
    private int read(byte[] buffer, int offset, int length, boolean now) throws IOException {
        if (length == 0) {
            return 0;
        }
        try {
            while (protocol.getAvailableInputBytes() == 0) {
                if (protocol.isClosed()) {
                    return -1; // after the peer's close_notify (answered with ours), or a failure
                }
                int got = receive(now);
                if (got < 0) {
                    return endOfStream();
                }
                if (got == 0) {
                    return 0;
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
     * before the response is written. What is left waits in {@link #pending}. Returns 1
     * when records were offered or kept, -1 at the end of the stream, and, with now, 0 when
     * the transport had nothing (it does not wait then: {@link #socket}'s recv MSG_DONTWAIT).
     */
    private int receive(boolean now) throws IOException {
        byte[] inbox = INBOX.get();
        int filled = 0;
        if (pending != null) {
            filled = pending.length;
            System.arraycopy(pending, 0, inbox, 0, filled);
        }
        if (recordEnd(inbox, 0, filled) < 0) {
            int n;
            if (now) {
                n = socket().readNow(inbox, filled, inbox.length - filled); // -1: nothing yet, 0: the end
                if (n < 0) {
                    return 0; // pending, if any, stays as it was
                }
                n = n == 0 ? -1 : n;
            } else {
                n = in.read(inbox, filled, inbox.length - filled);
            }
            if (n < 0) {
                pending = null;
                if (filled > 0) {
                    protocol.offerInput(inbox, 0, filled); // the start of a record: BouncyCastle keeps it, and
                }                                          // closeInput fails (EOFException), as a truncation should
                return -1;
            }
            filled += n;
        }
        pending = null;
        offerRecords(inbox, filled, true);
        return 1;
    }

    /**
     * Offers the whole records in bytes[0, filled), one at a time (until one brings
     * application data, with untilData), sending BouncyCastle's answer to each; what is left
     * becomes {@link #pending}. Returns whether nothing was left.
     */
    private boolean offerRecords(byte[] bytes, int filled, boolean untilData) throws IOException {
        int at = 0;
        int end;
        while (!(untilData && protocol.getAvailableInputBytes() > 0) && !protocol.isClosed()
                && (end = recordEnd(bytes, at, filled)) >= 0) {
            try {
                protocol.offerInput(bytes, at, end - at);
            } finally {
                flush(); // its answer, or the alert it failed with
            }
            at = end;
        }
        pending = at < filled ? java.util.Arrays.copyOfRange(bytes, at, filled) : null;
        return pending == null;
    }

    private NativeSocket socket() {
        if (socket == null) {
            throw new UnsupportedOperationException("no non-blocking transport: made over a stream");
        }
        return socket;
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
        return offerRecords(bytes, bytes.length, false);
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

    /**
     * Sends what BouncyCastle has queued: in one write, or, once the channel is used
     * without waiting, as much as the socket takes now, the rest kept in {@link #unsent}.
     */
    private void flush() throws IOException {
        if (!nonBlocking) {
            HandshakeDriver.send(protocol, out);
            return;
        }
        int available = protocol.getAvailableOutputBytes();
        if (available > 0) {
            int kept = unsent == null ? 0 : unsent.length - unsentOffset;
            byte[] all = new byte[kept + available];
            if (kept > 0) {
                System.arraycopy(unsent, unsentOffset, all, 0, kept);
            }
            protocol.readOutput(all, kept, available);
            unsent = all;
            unsentOffset = 0;
        }
        flushNow();
    }

    @Override
    public boolean hasPendingOutput() {
        return unsent != null;
    }

    @Override
    public boolean flushNow() throws IOException {
        while (unsent != null) {
            int n = socket().writeNow(unsent, unsentOffset, unsent.length - unsentOffset);
            if (n == 0) {
                return false;
            }
            unsentOffset += n;
            if (unsentOffset == unsent.length) {
                unsent = null; // an idle connection keeps no buffer
                unsentOffset = 0;
            }
        }
        return true;
    }

    /**
     * Takes all the bytes when the socket has taken everything before (or none, with
     * nothing taken, when it has not): BouncyCastle encrypts them at once, and what the
     * socket has no room for waits in {@link #unsent} ({@link #hasPendingOutput}).
     */
    @Override
    public int writeNow(byte[] buffer, int offset, int length, boolean more) throws IOException {
        nonBlocking = true;
        if (!flushNow()) {
            return 0;
        }
        write(buffer, offset, length, more);
        return length;
    }

    /**
     * One record's worth of the file (less what a held head takes of it) per call, read
     * through the JVM; the file stays open while the same region goes on, and is closed once
     * it is sent.
     */
    @Override
    public long transferNow(Path file, long position, long count) throws IOException {
        nonBlocking = true;
        if (count == 0) {
            return 0;
        }
        if (!flushNow()) {
            return 0;
        }
        if (openFile != null && (!file.equals(openPath) || position != openNext)) {
            dispose();
        }
        if (openFile == null) {
            openFile = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ);
            openPath = file;
        }
        byte[] chunk = new byte[(int) Math.min(Math.max(1, RECORD_SIZE - held.size()), count)];
        int n = openFile.read(java.nio.ByteBuffer.wrap(chunk), position);
        if (n <= 0) {
            dispose();
            return -1;
        }
        write(chunk, 0, n, false);
        if (n == count) {
            dispose();
        } else {
            openNext = position + n;
        }
        return n;
    }

    @Override
    public void dispose() {
        if (openFile != null) {
            try {
                openFile.close();
            } catch (IOException e) {
                // a read-only file: nothing was lost
            }
            openFile = null;
            openPath = null;
        }
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
        dispose();
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
        dispose();
        try {
            transport.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }
}
