package io.ktlshttps.tls;

import java.io.IOException;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * BouncyCastle's server protocol in its non-blocking mode (input offered, output taken:
 * {@link HandshakeDriver}, {@link UserSpaceTlsChannel}), with a way to end an established
 * connection by a fatal alert.
 */
final class KtlsServerProtocol extends TlsServerProtocol {
    KtlsServerProtocol() {
        super();
    }

    /** Queues the fatal alert under the current keys and closes (TlsProtocol's own failure path). */
    void fail(short alertDescription, String message) throws IOException {
        raiseAlertFatal(alertDescription, message, null);
    }
}
