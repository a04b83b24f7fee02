package io.ktlshttps.net;

import io.ktlshttps.linux.CryptoInfo;
import io.ktlshttps.linux.LinuxConstants;
import io.ktlshttps.linux.LinuxErrno;
import io.ktlshttps.linux.Native;
import io.ktlshttps.linux.NativeException;
import io.ktlshttps.linux.TlsRecordIo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connection whose TLS records the kernel encrypts and decrypts. After
 * {@link #install}, plain send, recvmsg and sendfile on the socket are TLS records.
 *
 * <p>Non-data records arrive through recvmsg's TLS_GET_RECORD_TYPE control message
 * (a plain read of one fails with EIO): alerts end the connection, close_notify cleanly;
 * handshake messages after the handoff (renegotiation, KeyUpdate) are refused with an
 * alert. Authentication failures (EBADMSG) are answered with bad_record_mac and oversized
 * records (EMSGSIZE) with record_overflow, as RFC 8446 section 5.2 asks.
 */
public final class KernelTlsChannel implements TlsChannel {
    private final NativeSocket socket;
    private final TlsRecordIo records;
    private final TlsVersion version;
    private final AeadCipher cipher;
    private final AtomicBoolean closeNotifySent = new AtomicBoolean();
    private volatile boolean peerClosedCleanly;
    private volatile boolean inputDone;
    private volatile int declinedRenegotiations;
    private volatile int keyUpdates;
    private KeyUpdateSource keyUpdateSource;
    /** Records sent under one TX key before we rekey (TLS 1.3) or stop (TLS 1.2); 0: no limit. */
    private long rekeyAfterRecords;
    /** The kernel's TX sequence number when last read with getsockopt. */
    private long txSequenceRead;
    /** An upper bound on the records sent since then (each send may also close an open record). */
    private long txRecordsSinceRead;
    /** The largest plaintext per sent record: 2^14, or the client's max_fragment_length. */
    private int txRecordPayload = TlsRecordIo.MAX_RECORD_PLAINTEXT;
    private volatile int proactiveRekeys;
    /** Set once the TX key reached its record limit and the kernel cannot rekey: end at the next boundary. */
    private volatile boolean keyExhausted;
    /** Set once we sent a fatal alert: {@link #close} then lingers so the alert is not lost to a reset. */
    private volatile boolean failed;
    /** How long {@link #close} lingers after a fatal alert. */
    private static final long FATAL_LINGER_MILLIS = 1000;
    /** HandshakeType key_update, RFC 8446 section 4. */
    private static final int KEY_UPDATE = 24;
    /**
     * Plaintext received but not yet read: what user space decrypted before the handoff,
     * or the rest of a record larger than the caller's buffer.
     */
    private byte[] pending = NOTHING;
    private int pendingOffset;
    private static final byte[] NOTHING = new byte[0];
    /**
     * Receive buffer for one record (TLS plaintext is at most 2^14 bytes, RFC 8446 section
     * 5.1), one per thread: an idle connection holds none.
     */
    private static final ThreadLocal<byte[]> INBOX =
            ThreadLocal.withInitial(() -> new byte[TlsRecordIo.MAX_RECORD_PLAINTEXT]);

    private KernelTlsChannel(NativeSocket socket, TlsVersion version, AeadCipher cipher) {
        this.socket = socket;
        this.records = new TlsRecordIo(socket.fd());
        this.version = version;
        this.cipher = cipher;
    }

    /**
     * Attaches TCP_ULP "tls" and installs both directions. Bytes the peer sent before this
     * call and that are still unread in the socket are decrypted by the kernel.
     *
     * <p>If this fails before TLS_TX is set, the socket still carries plain TCP and the
     * caller may fall back to user-space records. If TLS_TX was set and TLS_RX failed, the
     * connection cannot continue: the exception says so and the caller must drop it.
     */
    public static KernelTlsChannel install(NativeSocket socket, SessionKeys keys) throws IOException {
        return install(socket, keys, null);
    }

    /**
     * As {@link #install(NativeSocket, SessionKeys)}, with a source of TLS 1.3 key
     * updates: a KeyUpdate from the peer is then followed by rekeying the kernel (Linux
     * 6.14+) instead of ending the connection.
     */
    public static KernelTlsChannel install(NativeSocket socket, SessionKeys keys, KeyUpdateSource updates)
            throws IOException {
        return install(socket, keys, updates, 0);
    }

    /**
     * As {@link #install(NativeSocket, SessionKeys, KeyUpdateSource)}, with every record
     * the kernel sends capped at maxRecordPayload bytes of plaintext (a negotiated
     * max_fragment_length; 0: no cap beyond 2^14). The cap is set before the keys, so a
     * kernel without it (before 6.19) leaves the socket fit for user-space records.
     */
    public static KernelTlsChannel install(NativeSocket socket, SessionKeys keys, KeyUpdateSource updates,
            int maxRecordPayload) throws IOException {
        CryptoInfo tx = keys.transmit().toCryptoInfo();
        CryptoInfo rx = keys.receive().toCryptoInfo();
        try {
            Native.attachTlsUlp(socket.fd());
            if (maxRecordPayload > 0) {
                Native.setTxMaxPayloadLength(socket.fd(), maxRecordPayload); // before the keys: fallback stays possible
            }
            Native.installTx(socket.fd(), tx);
            try {
                Native.installRx(socket.fd(), rx);
            } catch (NativeException e) {
                throw new KernelTlsInstallException("TLS_TX is set but TLS_RX failed; the connection is unusable",
                        e, false);
            }
        } catch (NativeException e) {
            throw new KernelTlsInstallException("kernel TLS install failed", e, true);
        } finally {
            tx.destroy();
            rx.destroy();
        }
        KernelTlsChannel channel = new KernelTlsChannel(socket, keys.version(), keys.cipher());
        channel.keyUpdateSource = updates;
        channel.txSequenceRead = keys.transmit().sequenceNumber();
        if (maxRecordPayload > 0) {
            channel.txRecordPayload = maxRecordPayload;
        }
        return channel;
    }

    /**
     * Sets the record limit of one TX key (RFC 8446 section 5.5): once the kernel has sent
     * this many records under it, a TLS 1.3 connection sends a KeyUpdate and rekeys TX
     * where the kernel can (Linux 6.14+); otherwise (TLS 1.2, older kernels) the
     * connection is marked {@link #keyExhausted()}, for its owner to end at the next
     * response boundary. 0: no limit. Checked between sends, and sendfile is split so that
     * a long body crosses the limit at most one record late.
     */
    public void rekeyAfter(long records) {
        if (records < 0) {
            throw new IllegalArgumentException("records must be 0 or more");
        }
        this.rekeyAfterRecords = records;
    }

    /**
     * Hands over plaintext that was decrypted in user space before the kernel took over;
     * {@link #read} returns it before anything the kernel decrypts.
     */
    public void prependPlaintext(byte[] plaintext) {
        int rest = pending.length - pendingOffset;
        byte[] joined = new byte[plaintext.length + rest];
        System.arraycopy(plaintext, 0, joined, 0, plaintext.length);
        System.arraycopy(pending, pendingOffset, joined, plaintext.length, rest);
        pending = joined;
        pendingOffset = 0;
    }

    /** The kernel's view of both directions, read back with getsockopt: proof the keys are installed. */
    public CryptoInfo[] readBackCryptoInfo() throws IOException {
        return new CryptoInfo[] {
            Native.readTx(socket.fd(), cipher.kernelCipher()),
            Native.readRx(socket.fd(), cipher.kernelCipher())
        };
    }

    /**
     * Each receive asks for a whole record's worth (16 KiB), so a control record always
     * arrives whole; application data beyond what the caller asked for waits in
     * {@link #pending} for the next read.
     */
    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, false);
    }

    @Override
    public int readNow(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, true);
    }

    @Override
    public boolean hasBufferedInput() {
        return pendingOffset < pending.length;
    }

    /** now: no wait at all (MSG_DONTWAIT), 0 when no record is there. */
    private int read(byte[] buffer, int offset, int length, boolean now) throws IOException {
        if (pendingOffset < pending.length) {
            return takePending(buffer, offset, length);
        }
        if (inputDone) {
            return -1;
        }
        byte[] inbox = INBOX.get();
        while (true) {
            TlsRecordIo.Received got = receive(inbox, 0, inbox.length, now);
            if (got == null) {
                return 0; // nothing there now
            }
            switch (got.contentType()) {
                case TlsAlert.APPLICATION_DATA_CONTENT_TYPE:
                    if (got.length() == 0) {
                        inputDone = true; // TCP FIN without close_notify: a truncation, reported as EOF
                        return -1;
                    }
                    if (got.length() <= length) {
                        System.arraycopy(inbox, 0, buffer, offset, got.length());
                        return got.length();
                    }
                    pending = java.util.Arrays.copyOf(inbox, got.length());
                    pendingOffset = 0;
                    return takePending(buffer, offset, length);
                case TlsAlert.CONTENT_TYPE:
                    if (onAlert(inbox, 0, got.length())) {
                        return -1;
                    }
                    break; // a warning we may ignore
                case TlsAlert.HANDSHAKE_CONTENT_TYPE:
                    onHandshakeMessage(inbox, got.length());
                    break; // refused politely, or a KeyUpdate followed; the connection goes on
                default:
                    throw fail(TlsAlert.UNEXPECTED_MESSAGE, "unexpected record type " + got.contentType());
            }
        }
    }

    private int takePending(byte[] buffer, int offset, int length) {
        int n = Math.min(length, pending.length - pendingOffset);
        System.arraycopy(pending, pendingOffset, buffer, offset, n);
        pendingOffset += n;
        if (pendingOffset == pending.length) {
            pending = NOTHING; // an idle connection keeps no buffer
            pendingOffset = 0;
        }
        return n;
    }

    private TlsRecordIo.Received receive(byte[] buffer, int offset, int length, boolean now) throws IOException {
        ensureOpen();
        try {
            return now ? records.receiveNow(buffer, offset, length) : records.receive(buffer, offset, length);
        } catch (NativeException e) {
            if (e.is(LinuxErrno.EBADMSG)) {
                throw fail(TlsAlert.BAD_RECORD_MAC, "record authentication failed (EBADMSG)");
            }
            if (e.is(LinuxErrno.EMSGSIZE)) {
                throw fail(TlsAlert.RECORD_OVERFLOW, "record too large (EMSGSIZE)");
            }
            throw NativeSocket.translate(e);
        }
    }

    /**
     * A handshake message after the handoff. TLS 1.2: a renegotiation attempt, declined
     * with a no_renegotiation warning as RFC 5246 section 7.2.2 allows, and the connection
     * goes on. TLS 1.3: a KeyUpdate rekeys the kernel (RFC 8446 section 4.6.3; the kernel
     * holds further reads with EKEYEXPIRED until the new TLS_RX key is set), answered with
     * our own KeyUpdate if the peer asked; a kernel that cannot rekey (before 6.14) ends
     * the connection with internal_error rather than mis-decrypt the next record. Any
     * other message is unexpected_message (RFC 8446 section 4.6).
     */
    private void onHandshakeMessage(byte[] inbox, int length) throws IOException {
        int messageType = length > 0 ? inbox[0] & 0xff : -1;
        if (length == 0) {
            throw fail(TlsAlert.DECODE_ERROR, "empty handshake record");
        }
        if (version == TlsVersion.TLS_1_2) {
            declinedRenegotiations++;
            sendAlert(TlsAlert.WARNING, TlsAlert.NO_RENEGOTIATION);
            return;
        }
        if (messageType != KEY_UPDATE) {
            throw fail(TlsAlert.UNEXPECTED_MESSAGE, "handshake message type " + messageType + " after the handshake");
        }
        // struct { KeyUpdateRequest request_update; } in a 4-byte handshake header: 5 bytes.
        if (length != 5 || inbox[1] != 0 || inbox[2] != 0 || inbox[3] != 1) {
            throw fail(TlsAlert.DECODE_ERROR, "malformed KeyUpdate");
        }
        int request = inbox[4] & 0xff;
        if (request > 1) {
            throw fail(TlsAlert.ILLEGAL_PARAMETER, "KeyUpdate request_update " + request);
        }
        if (keyUpdateSource == null) {
            throw fail(TlsAlert.INTERNAL_ERROR, "KeyUpdate received and no key source to follow it");
        }
        rekey(true);
        if (request == 1) {
            // update_requested: answer with our own KeyUpdate under the old key, then switch TX.
            records.sendRecord(TlsAlert.HANDSHAKE_CONTENT_TYPE, new byte[] {KEY_UPDATE, 0, 0, 1, 0}, 0, 5);
            rekey(false);
            txSequenceRead = 0;
            txRecordsSinceRead = 0;
        }
        keyUpdates++;
    }

    /**
     * Installs the next generation of keys for one direction by setting TLS_RX or TLS_TX
     * again, which Linux allows for TLS 1.3 since 6.14; older kernels refuse, and the
     * connection ends with internal_error before any record is mis-decrypted.
     */
    private void rekey(boolean receive) throws IOException {
        TrafficKeys next = receive ? keyUpdateSource.nextReceiveKeys() : keyUpdateSource.nextTransmitKeys();
        CryptoInfo info = next.toCryptoInfo();
        try {
            if (receive) {
                Native.installRx(socket.fd(), info);
            } else {
                Native.installTx(socket.fd(), info);
            }
        } catch (NativeException e) {
            throw fail(TlsAlert.INTERNAL_ERROR, "the kernel cannot rekey " + (receive ? "RX" : "TX")
                    + " after a KeyUpdate (needs Linux 6.14+): " + e.getMessage());
        } finally {
            info.destroy();
            next.destroy();
        }
    }

    /** How many KeyUpdates from the peer were followed by rekeying the kernel. */
    public int keyUpdates() {
        return keyUpdates;
    }

    /** How many TLS 1.2 renegotiation attempts were declined. */
    public int declinedRenegotiations() {
        return declinedRenegotiations;
    }

    /**
     * Handles one alert; true if it ends the input cleanly (close_notify), false if it is a
     * warning to ignore. Warnings are ignorable in TLS 1.2 (RFC 5246 section 7.2); in TLS
     * 1.3 only user_canceled may come as a warning (RFC 8446 section 6.1; the JDK sends it
     * before close_notify). Anything else ends the connection.
     */
    private boolean onAlert(byte[] buffer, int offset, int length) throws IOException {
        if (length != 2) {
            throw fail(TlsAlert.DECODE_ERROR, "alert record of " + length + " bytes");
        }
        int level = buffer[offset] & 0xff;
        int description = buffer[offset + 1] & 0xff;
        if (description == TlsAlert.CLOSE_NOTIFY) {
            inputDone = true;
            peerClosedCleanly = true;
            return true;
        }
        if (level == TlsAlert.WARNING && (version == TlsVersion.TLS_1_2 || description == TlsAlert.USER_CANCELED)) {
            return false;
        }
        inputDone = true; // the connection's owner closes it
        throw new TlsAlertException(true, level, description, "");
    }

    /**
     * Sends a fatal alert and ends the output: a FIN follows the alert. The fd stays open
     * for the connection's owner, who closes it after a lingering wait: closing with
     * unread input (the offending record is still queued) makes the kernel send a reset
     * that can destroy the alert. A failed RX (EBADMSG) leaves its error pending on the
     * socket, and kernel TLS refuses every send while it is there, so it is taken
     * (SO_ERROR) before the send is tried again.
     */
    private TlsAlertException fail(int description, String detail) {
        inputDone = true;
        failed = true;
        TlsAlertException failure = new TlsAlertException(false, TlsAlert.FATAL, description, detail);
        java.util.List<IOException> problems = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                sendAlert(TlsAlert.FATAL, description);
                closeNotifySent.set(true); // nothing may follow a fatal alert
                problems.clear();
                break;
            } catch (IOException e) {
                problems.add(e);
                try {
                    socket.takePendingError();
                } catch (IOException cleared) {
                    problems.add(cleared);
                }
            }
        }
        problems.forEach(failure::addSuppressed); // only when the alert could not be sent
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    /**
     * Refuses I/O once the socket is closed: its fd number may already belong to another
     * connection.
     */
    private void ensureOpen() throws IOException {
        if (socket.isClosed()) {
            throw new java.net.SocketException("connection closed");
        }
    }

    /**
     * Sends one alert record through the kernel (TLS_SET_RECORD_TYPE 21), if the socket has
     * room for it now: a client whose window is closed gets none (EAGAIN), as the server's
     * event loop waits for nobody.
     */
    public void sendAlert(int level, int description) throws IOException {
        ensureOpen();
        records.sendRecord(TlsAlert.CONTENT_TYPE, new byte[] {(byte) level, (byte) description}, 0, 2, 0);
    }

    @Override
    public void write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        ensureOpen();
        try {
            Native.sendFully(socket.fd(), buffer, offset, length, more ? LinuxConstants.MSG_MORE : 0);
        } catch (NativeException e) {
            throw NativeSocket.translate(e);
        }
        sentRecords(length);
        if (!more) {
            checkRecordLimit(); // never with a record open: it would be sealed under the new key
        }
    }

    @Override
    public int writeNow(byte[] buffer, int offset, int length, boolean more) throws IOException {
        ensureOpen();
        int n;
        try {
            n = Native.sendNow(socket.fd(), buffer, offset, length, more ? LinuxConstants.MSG_MORE : 0);
        } catch (NativeException e) {
            throw NativeSocket.translate(e);
        }
        sentRecords(n);
        if (!more && n == length) {
            checkRecordLimit(); // never with a record open: only once all of it went
        }
        return n;
    }

    /**
     * sendfile(2) without waiting, as {@link #transferFrom}: pieces no larger than the record
     * limit allows, the limit checked between them. The file stays open between calls that
     * continue the same region ({@link #openFile}), and is closed once the region is sent.
     */
    @Override
    public long transferNow(Path file, long position, long count) throws IOException {
        ensureOpen();
        try {
            int in = openFile(file, position);
            long done = 0;
            while (done < count) {
                long piece = nextPiece(count - done);
                long n = Native.sendfileNow(socket.fd(), in, position + done, piece);
                if (n < 0) {
                    closeFile();
                    return done == 0 ? -1 : done;
                }
                done += n;
                sentRecords(n);
                if (n < piece) {
                    break; // no room now
                }
                checkRecordLimit();
            }
            if (done == count) {
                closeFile();
            } else {
                openFileNext = position + done;
            }
            return done;
        } catch (NativeException e) {
            closeFile();
            throw NativeSocket.translate(e);
        }
    }

    /**
     * How much of what is left one sendfile(2) may send: all of it, or, with a record limit
     * set, no more than the records left under the key, so the limit is checked in between.
     */
    private long nextPiece(long left) {
        if (rekeyAfterRecords > 0 && !keyExhausted) {
            long room = rekeyAfterRecords - txSequenceRead - txRecordsSinceRead - 1;
            return Math.min(left, Math.max(1, room) * txRecordPayload);
        }
        return left;
    }

    /** The file a transfer in progress reads, kept open between its calls. */
    private Path openFilePath;
    private int openFileFd = -1;
    private long openFileNext;

    /** The fd of file, opened now unless the transfer in progress continues at position. */
    private int openFile(Path file, long position) throws NativeException {
        if (openFileFd >= 0 && (!file.equals(openFilePath) || position != openFileNext)) {
            closeFile();
        }
        if (openFileFd < 0) {
            openFileFd = Native.openReadOnly(file.toString());
            openFilePath = file;
        }
        return openFileFd;
    }

    private void closeFile() {
        if (openFileFd >= 0) {
            try {
                Native.close(openFileFd);
            } catch (NativeException e) {
                // a read-only file: nothing was lost
            }
            openFileFd = -1;
            openFilePath = null;
        }
    }

    /**
     * sendfile(2): the kernel reads the file and encrypts it, with no copy through the JVM.
     * With a record limit set, a body that could cross it is sent in pieces, and the limit
     * is checked between them.
     */
    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        ensureOpen();
        int in = Native.openReadOnly(file.toString());
        try {
            long done = 0;
            while (done < count) {
                long piece = nextPiece(count - done);
                long n = Native.sendfile(socket.fd(), in, position + done, piece);
                done += n;
                sentRecords(n);
                checkRecordLimit();
                if (n < piece) {
                    break; // the file ended early
                }
            }
            return done;
        } catch (NativeException e) {
            throw NativeSocket.translate(e);
        } finally {
            Native.close(in);
        }
    }

    /** Counts, as an upper bound, the records a send of this many bytes may have closed. */
    private void sentRecords(long bytes) {
        if (rekeyAfterRecords > 0) {
            txRecordsSinceRead += bytes / txRecordPayload + 2;
        }
    }

    /**
     * Reads the kernel's exact TX sequence number once the upper bound says the limit
     * may be near, and acts when it is reached: a KeyUpdate (update_not_requested) under
     * the old key, then the next key installed with TLS_TX, as the kernel's own selftests
     * do; where that cannot be done the connection is marked exhausted.
     */
    private void checkRecordLimit() throws IOException {
        if (rekeyAfterRecords == 0 || keyExhausted || txSequenceRead + txRecordsSinceRead < rekeyAfterRecords) {
            return;
        }
        CryptoInfo now = Native.readTx(socket.fd(), cipher.kernelCipher());
        try {
            txSequenceRead = now.recordSequence();
        } finally {
            now.destroy();
        }
        txRecordsSinceRead = 0;
        if (txSequenceRead < rekeyAfterRecords) {
            return;
        }
        if (version != TlsVersion.TLS_1_3 || keyUpdateSource == null || !KernelTls.canRekey()) {
            keyExhausted = true;
            return;
        }
        records.sendRecord(TlsAlert.HANDSHAKE_CONTENT_TYPE, new byte[] {KEY_UPDATE, 0, 0, 1, 0}, 0, 5);
        rekey(false);
        txSequenceRead = 0;
        txRecordsSinceRead = 0;
        proactiveRekeys++;
    }

    /** How many times TX was rekeyed because its record limit was reached. */
    public int proactiveRekeys() {
        return proactiveRekeys;
    }

    @Override
    public boolean keyExhausted() {
        return keyExhausted;
    }

    @Override
    public boolean peerClosedCleanly() {
        return peerClosedCleanly;
    }

    /**
     * Asks the kernel the record plaintext cap in force (getsockopt(SOL_TLS,
     * TLS_TX_MAX_PAYLOAD_LEN)); 0 where it cannot say (before Linux 6.19, or closed).
     */
    public int kernelRecordCap() {
        if (socket.isClosed()) {
            return 0;
        }
        try {
            return Native.txMaxPayloadLength(socket.fd());
        } catch (NativeException e) {
            return 0;
        }
    }

    /** Asks the kernel: getsockopt(SOL_TLS, TLS_TX) answers only once TX keys are installed. */
    @Override
    public boolean kernelTx() {
        return installed(true);
    }

    /** Asks the kernel: getsockopt(SOL_TLS, TLS_RX) answers only once RX keys are installed. */
    @Override
    public boolean kernelRx() {
        return installed(false);
    }

    private boolean installed(boolean transmit) {
        if (socket.isClosed()) {
            return false;
        }
        try {
            CryptoInfo info = transmit ? Native.readTx(socket.fd(), cipher.kernelCipher())
                    : Native.readRx(socket.fd(), cipher.kernelCipher());
            try {
                return info.version() == version.wireValue() && info.cipher() == cipher.kernelCipher();
            } finally {
                info.destroy();
            }
        } catch (NativeException e) {
            return false;
        }
    }

    @Override
    public TlsVersion version() {
        return version;
    }

    @Override
    public AeadCipher cipher() {
        return cipher;
    }

    /** Sends close_notify through the kernel (once) and shuts the write side. */
    @Override
    public void sendCloseNotify() throws IOException {
        if (!socket.isClosed() && closeNotifySent.compareAndSet(false, true)) {
            sendAlert(TlsAlert.WARNING, TlsAlert.CLOSE_NOTIFY);
            socket.shutdownOutput();
        }
    }

    /**
     * Sends close_notify through the kernel, shuts the write side, releases the fd. After
     * a fatal alert it reads and drops what the peer still sends for up to a second first
     * (the server's connections linger in its poller instead and never call this).
     */
    @Override
    public void dispose() {
        closeFile();
    }

    @Override
    public void close() throws IOException {
        closeFile();
        if (socket.isClosed()) {
            return;
        }
        if (failed) {
            socket.drainAndClose(FATAL_LINGER_MILLIS);
            return;
        }
        try {
            sendCloseNotify();
        } catch (IOException e) {
            // The peer may have reset the connection; the fd is released below either way.
        } finally {
            socket.close();
        }
    }

    @Override
    public void abort() {
        closeFile();
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }
}
