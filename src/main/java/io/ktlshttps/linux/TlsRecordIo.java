package io.ktlshttps.linux;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * sendmsg/recvmsg on a kernel TLS socket with the record-type control message
 * (linux/tls.h TLS_SET_RECORD_TYPE and TLS_GET_RECORD_TYPE). Its native buffers belong to
 * the calling thread, so any number of threads may use it at once and an idle connection
 * holds none.
 *
 * <p>Layouts are those of LP64 Linux (see man 3 cmsg, bits/socket.h):
 * <pre>
 * struct msghdr  { void *name; u32 namelen; struct iovec *iov; size_t iovlen;
 *                  void *control; size_t controllen; int flags; }   56 bytes
 * struct iovec   { void *base; size_t len; }                        16 bytes
 * struct cmsghdr { size_t len; int level; int type; u8 data[]; }    16 bytes + data
 * </pre>
 */
public final class TlsRecordIo {
    private static final int MSGHDR_SIZE = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int IOVEC_SIZE = 16;
    private static final int CMSGHDR_SIZE = 16;
    /** CMSG_SPACE(1): header plus one byte, aligned to 8. */
    private static final int CMSG_SPACE_1 = 24;
    /** CMSG_LEN(1). */
    private static final int CMSG_LEN_1 = CMSGHDR_SIZE + 1;
    /** The largest TLS plaintext record, RFC 8446 section 5.1. */
    public static final int MAX_RECORD_PLAINTEXT = 16384;
    /** How long a control record waits for room in a full send buffer (non-blocking socket). */
    private static final int CONTROL_RECORD_WAIT_MILLIS = 1000;

    private final int fd;
    /**
     * The native buffers, one set per thread and per direction, not per connection: they
     * are 16 KiB each, and a connection waiting for its next request should hold nothing
     * (these two were most of what an idle kernel TLS connection cost the JVM).
     */
    private static final ThreadLocal<Half> SENDER = ThreadLocal.withInitial(() -> new Half(MAX_RECORD_PLAINTEXT));
    private static final ThreadLocal<Half> RECEIVER = ThreadLocal.withInitial(() -> new Half(MAX_RECORD_PLAINTEXT));

    public TlsRecordIo(int fd) {
        this.fd = fd;
        if (Native.runtime().addressSize() != 8) {
            throw new UnsupportedOperationException("msghdr layout assumes a 64-bit (LP64) Linux");
        }
    }

    /** The native buffers behind one direction's msghdr. */
    private static final class Half {
        final Pointer message;
        final Pointer iovec;
        final Pointer control;
        final Pointer data;
        final int capacity;

        Half(int capacity) {
            this.capacity = capacity;
            this.message = Memory.allocateDirect(Native.runtime(), MSGHDR_SIZE, true);
            this.iovec = Memory.allocateDirect(Native.runtime(), IOVEC_SIZE, true);
            this.control = Memory.allocateDirect(Native.runtime(), CMSG_SPACE_1, true);
            this.data = Memory.allocateDirect(Native.runtime(), capacity, true);
        }

        void prepare(int length) {
            message.putAddress(MSG_IOV, iovec.address());
            message.putLong(MSG_IOVLEN, 1);
            message.putAddress(MSG_CONTROL, control.address());
            message.putLong(MSG_CONTROLLEN, CMSG_SPACE_1);
            message.putInt(MSG_FLAGS, 0);
            iovec.putAddress(0, data.address());
            iovec.putLong(8, length);
        }
    }

    /**
     * Sends one record of the given content type (RFC 8446 section 5.1: 21 alert, 22
     * handshake, 23 application data). Control records may not carry MSG_MORE (EINVAL).
     */
    public void sendRecord(int contentType, byte[] payload, int offset, int length)
            throws NativeException {
        sendRecord(contentType, payload, offset, length, CONTROL_RECORD_WAIT_MILLIS);
    }

    /**
     * As {@link #sendRecord(int, byte[], int, int)}, waiting at most waitMillis for room
     * (0: not at all, EAGAIN when the send buffer is full): for an alert from an event loop,
     * which must not wait for a client that does not read.
     */
    public void sendRecord(int contentType, byte[] payload, int offset, int length, int waitMillis)
            throws NativeException {
        if (length > MAX_RECORD_PLAINTEXT) {
            throw new IllegalArgumentException("a control record carries at most " + MAX_RECORD_PLAINTEXT + " bytes");
        }
        Half sender = SENDER.get();
        sender.prepare(length);
        sender.data.put(0, payload, offset, length);
        sender.control.putLong(0, CMSG_LEN_1);
        sender.control.putInt(8, LinuxConstants.SOL_TLS);
        sender.control.putInt(12, LinuxConstants.TLS_SET_RECORD_TYPE);
        sender.control.putByte(CMSGHDR_SIZE, (byte) contentType);
        long sent;
        while (true) {
            try {
                sent = Native.sendmsg(fd, sender.message, 0);
                break;
            } catch (NativeException e) {
                // A non-blocking socket with a full send buffer: a control record (an alert,
                // a KeyUpdate) is small and must go whole, so wait for room, briefly.
                if (!e.is(LinuxErrno.EAGAIN) || waitMillis <= 0 || !Native.writableWithin(fd, waitMillis)) {
                    throw e;
                }
            }
        }
        if (sent != length) {
            throw new NativeException("sendmsg (short control record)", LinuxErrno.EIO.code());
        }
    }

    /** What one {@link #receive} call returned: the record type and the bytes read (0 at end of stream). */
    public record Received(int contentType, int length) {
    }

    /**
     * Reads plaintext of one record type into buffer. The kernel never mixes types in one
     * read. Application data (23) is reported when no control message came back.
     */
    public Received receive(byte[] buffer, int offset, int length) throws NativeException {
        return receive(buffer, offset, length, 0);
    }

    /** As {@link #receive}, without waiting (MSG_DONTWAIT): null when no record is there. */
    public Received receiveNow(byte[] buffer, int offset, int length) throws NativeException {
        try {
            return receive(buffer, offset, length, LinuxConstants.MSG_DONTWAIT);
        } catch (NativeException e) {
            if (e.is(LinuxErrno.EAGAIN)) {
                return null;
            }
            throw e;
        }
    }

    private Received receive(byte[] buffer, int offset, int length, int flags) throws NativeException {
        Half receiver = RECEIVER.get();
        int want = Math.min(length, receiver.capacity);
        receiver.prepare(want);
        receiver.control.putLong(0, 0);
        long n = Native.recvmsg(fd, receiver.message, flags);
        int type = 23;
        long controlLength = receiver.message.getLong(MSG_CONTROLLEN);
        if (controlLength >= CMSG_LEN_1
                && receiver.control.getInt(8) == LinuxConstants.SOL_TLS
                && receiver.control.getInt(12) == LinuxConstants.TLS_GET_RECORD_TYPE) {
            type = Byte.toUnsignedInt(receiver.control.getByte(CMSGHDR_SIZE));
        }
        receiver.data.get(0, buffer, offset, (int) n);
        return new Received(type, (int) n);
    }
}
