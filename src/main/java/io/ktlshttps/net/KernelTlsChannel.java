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
    private volatile int ignoredWarnings;
    /** Plaintext the user-space record layer decrypted before the handoff and nobody read yet. */
    private byte[] pending = new byte[0];
    private int pendingOffset;

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
        CryptoInfo tx = keys.transmit().toCryptoInfo();
        CryptoInfo rx = keys.receive().toCryptoInfo();
        try {
            Native.attachTlsUlp(socket.fd());
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
        return new KernelTlsChannel(socket, keys.version(), keys.cipher());
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

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (pendingOffset < pending.length) {
            int n = Math.min(length, pending.length - pendingOffset);
            System.arraycopy(pending, pendingOffset, buffer, offset, n);
            pendingOffset += n;
            return n;
        }
        if (inputDone) {
            return -1;
        }
        while (true) {
            TlsRecordIo.Received got = receive(buffer, offset, length);
            switch (got.contentType()) {
                case TlsAlert.APPLICATION_DATA_CONTENT_TYPE:
                    if (got.length() == 0 && length > 0) {
                        inputDone = true; // TCP FIN without close_notify: a truncation, reported as EOF
                        return -1;
                    }
                    return got.length();
                case TlsAlert.CONTENT_TYPE:
                    if (onAlert(buffer, offset, got.length())) {
                        return -1;
                    }
                    continue; // a warning we may ignore

                case TlsAlert.HANDSHAKE_CONTENT_TYPE:
                    throw fail(TlsAlert.UNEXPECTED_MESSAGE, "handshake message after the kernel handoff"
                            + " (renegotiation or KeyUpdate) is not supported");
                default:
                    throw fail(TlsAlert.UNEXPECTED_MESSAGE, "unexpected record type " + got.contentType());
            }
        }
    }

    private TlsRecordIo.Received receive(byte[] buffer, int offset, int length) throws IOException {
        try {
            return records.receive(buffer, offset, length);
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
            ignoredWarnings++;
            return false;
        }
        inputDone = true;
        abort();
        throw new TlsAlertException(true, level, description, "");
    }

    /** How many warning alerts the peer sent that were ignored. */
    public int ignoredWarnings() {
        return ignoredWarnings;
    }

    private TlsAlertException fail(int description, String detail) {
        inputDone = true;
        try {
            sendAlert(TlsAlert.FATAL, description);
        } catch (IOException ignored) {
            // The peer may already be gone; the alert is best effort.
        }
        abort();
        return new TlsAlertException(false, TlsAlert.FATAL, description, detail);
    }

    /** Sends one alert record through the kernel (TLS_SET_RECORD_TYPE 21). */
    public void sendAlert(int level, int description) throws IOException {
        records.sendRecord(TlsAlert.CONTENT_TYPE, new byte[] {(byte) level, (byte) description}, 0, 2);
    }

    @Override
    public void write(byte[] buffer, int offset, int length, boolean more) throws IOException {
        try {
            Native.sendFully(socket.fd(), buffer, offset, length, more ? LinuxConstants.MSG_MORE : 0);
        } catch (NativeException e) {
            throw NativeSocket.translate(e);
        }
    }

    /** sendfile(2): the kernel reads the file and encrypts it, with no copy through the JVM. */
    @Override
    public long transferFrom(Path file, long position, long count) throws IOException {
        int in = Native.openReadOnly(file.toString());
        try {
            return Native.sendfile(socket.fd(), in, position, count);
        } catch (NativeException e) {
            throw NativeSocket.translate(e);
        } finally {
            Native.close(in);
        }
    }

    @Override
    public boolean peerClosedCleanly() {
        return peerClosedCleanly;
    }

    @Override
    public boolean kernelTx() {
        return true;
    }

    @Override
    public boolean kernelRx() {
        return true;
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
        if (closeNotifySent.compareAndSet(false, true)) {
            sendAlert(TlsAlert.WARNING, TlsAlert.CLOSE_NOTIFY);
            socket.shutdownOutput();
        }
    }

    /** Sends close_notify through the kernel, shuts the write side, releases the fd. */
    @Override
    public void close() throws IOException {
        if (socket.isClosed()) {
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
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }
}
