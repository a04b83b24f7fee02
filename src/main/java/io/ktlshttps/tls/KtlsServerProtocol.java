package io.ktlshttps.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.bouncycastle.tls.TlsServerProtocol;

/** BouncyCastle's blocking server protocol, with a way to end an established connection by a fatal alert. */
final class KtlsServerProtocol extends TlsServerProtocol {
    KtlsServerProtocol(InputStream input, OutputStream output) {
        super(input, output);
    }

    /** Sends the fatal alert under the current keys and closes (TlsProtocol's own failure path). */
    void fail(short alertDescription, String message) throws IOException {
        raiseAlertFatal(alertDescription, message, null);
    }
}
