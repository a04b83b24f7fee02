package io.ktlshttps.tls;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The handshake messages of one TLS 1.3 handshake, in and out, as they crossed the record
 * layer ({@link KtlsServerProtocol}'s record hooks): what RFC 8446's Transcript-Hash is
 * over. BouncyCastle keeps its own transcript hash package-private and never hashes the
 * client's Finished into anything the application can read, and a ticket's PSK needs
 * exactly that hash (resumption_master_secret, section 7.1); a resumption PSK's binder
 * needs the ClientHello itself (section 4.2.11.2). A HelloRetryRequest turns the first
 * ClientHello into a message_hash (section 4.4.1). For one handshake, on one thread.
 */
final class HandshakeTranscript {
    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int FINISHED = 20;
    /** SHA-256("HelloRetryRequest"): the random of a ServerHello that is a HelloRetryRequest. */
    private static final byte[] HRR_RANDOM = java.util.HexFormat.of()
            .parseHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<byte[]> messages = new ArrayList<>();
    private boolean closed;

    /** Handshake-record bytes, in the order they were read or written; nothing once closed. */
    void append(byte[] buf, int off, int len) {
        if (closed) {
            return;
        }
        pending.write(buf, off, len);
        byte[] all = pending.toByteArray();
        int at = 0;
        while (all.length - at >= 4) {
            int length = ((all[at + 1] & 0xFF) << 16) | ((all[at + 2] & 0xFF) << 8) | (all[at + 3] & 0xFF);
            if (all.length - at < 4 + length) {
                break;
            }
            messages.add(Arrays.copyOfRange(all, at, at + 4 + length));
            at += 4 + length;
        }
        pending.reset();
        pending.write(all, at, all.length - at);
    }

    /** No more messages (the handshake is over): what comes after is not transcript. */
    void close() {
        closed = true;
    }

    /**
     * Closed, and the messages dropped: a user-space connection keeps its protocol (and so
     * this) for its whole life, and the certificate chain need not stay with it.
     */
    void release() {
        closed = true;
        messages.clear();
        pending.reset();
    }

    /** The whole messages so far, each with its 4-byte header. */
    List<byte[]> messages() {
        return messages;
    }

    /** The last ClientHello, whole; null if none. */
    byte[] lastClientHello() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ((messages.get(i)[0] & 0xFF) == CLIENT_HELLO) {
                return messages.get(i);
            }
        }
        return null;
    }

    /** Whether the server answered with a HelloRetryRequest. */
    boolean retried() {
        return messages.size() > 1 && isHelloRetryRequest(messages.get(1));
    }

    private static boolean isHelloRetryRequest(byte[] message) {
        return (message[0] & 0xFF) == SERVER_HELLO && message.length >= 4 + 2 + 32
                && Arrays.equals(message, 6, 38, HRR_RANDOM, 0, 32);
    }

    /**
     * Transcript-Hash over every message so far, the last one less its last {@code truncate}
     * bytes (a ClientHello less its binders, for a PSK binder); the first ClientHello is a
     * message_hash after a HelloRetryRequest.
     *
     * @param algorithm the JDK's name of the suite's hash ("SHA-256", "SHA-384")
     */
    byte[] hash(String algorithm, int truncate) {
        MessageDigest digest = digest(algorithm);
        for (int i = 0; i < messages.size(); i++) {
            byte[] m = messages.get(i);
            if (i == 0 && retried()) {
                byte[] inner = digest(algorithm).digest(m);
                digest.update(new byte[] {(byte) 254, 0, 0, (byte) inner.length});
                digest.update(inner);
            } else if (i == messages.size() - 1) {
                digest.update(m, 0, m.length - truncate);
            } else {
                digest.update(m);
            }
        }
        return digest.digest();
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + algorithm, e);
        }
    }
}
