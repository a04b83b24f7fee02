package io.ktlshttps.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.linux.LinuxErrno;
import io.ktlshttps.linux.NativeException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class PeerErrorsTest {
    @Test
    void whatAClientCanCause() {
        for (LinuxErrno errno : new LinuxErrno[] {LinuxErrno.ECONNRESET, LinuxErrno.EPIPE, LinuxErrno.ENOTCONN,
            LinuxErrno.ETIMEDOUT}) {
            assertTrue(PeerErrors.causedByPeer(new NativeException("send", errno.code())), errno.name());
        }
        assertTrue(PeerErrors.causedByPeer(new SocketTimeoutException()));
        assertTrue(PeerErrors.causedByPeer(new TlsAlertException(true, TlsAlert.FATAL, TlsAlert.HANDSHAKE_FAILURE, "")));
        assertTrue(PeerErrors.causedByPeer(new TlsAlertException(false, TlsAlert.FATAL, TlsAlert.BAD_RECORD_MAC, "")));
    }

    @Test
    void whatIsTheServersOwnFault() {
        for (LinuxErrno errno : new LinuxErrno[] {LinuxErrno.EINVAL, LinuxErrno.EIO, LinuxErrno.EBADF,
            LinuxErrno.ENOMEM, LinuxErrno.EFAULT}) {
            assertFalse(PeerErrors.causedByPeer(new NativeException("sendfile", errno.code())), errno.name());
        }
        assertFalse(PeerErrors.causedByPeer(new IOException("big.bin shrank while being sent (10 of 20)")));
        assertFalse(PeerErrors.causedByPeer(new TlsAlertException(false, TlsAlert.FATAL, TlsAlert.INTERNAL_ERROR,
                "the kernel cannot rekey")));
    }
}
