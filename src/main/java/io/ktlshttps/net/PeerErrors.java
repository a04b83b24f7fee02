package io.ktlshttps.net;

import io.ktlshttps.linux.NativeException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * Tells a connection that ended because of its client (a reset, a timeout, an abort, an
 * alert it sent or earned) from a fault of the server's own (EINVAL from sendfile, EIO or
 * EBADF where none can come from the peer): the first is ordinary on the internet and
 * logged at debug or info, the second is logged as a warning.
 */
public final class PeerErrors {
    private PeerErrors() {
    }

    /** True if the peer's behaviour explains this failure of socket or kernel TLS I/O. */
    public static boolean causedByPeer(IOException e) {
        if (e instanceof SocketTimeoutException || e instanceof EOFException) {
            return true;
        }
        if (e instanceof TlsAlertException alert) {
            // An alert the peer sent, or one we sent because of what it sent; internal_error
            // is ours (a kernel that cannot rekey, say): expected, but not the peer's doing.
            return alert.received() || alert.description() != TlsAlert.INTERNAL_ERROR;
        }
        if (e instanceof NativeException n) {
            switch (n.errno()) {
                case ECONNRESET:
                case EPIPE:
                case ENOTCONN:
                case ETIMEDOUT:
                case ECONNABORTED:
                case EAGAIN:
                    return true;
                default:
                    return false;
            }
        }
        // Raised by NativeSocket once the socket was closed (shutdown, a fatal alert).
        return e instanceof SocketException;
    }
}
