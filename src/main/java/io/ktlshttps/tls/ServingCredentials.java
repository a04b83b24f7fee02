package io.ktlshttps.tls;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The credentials new handshakes use, replaceable while the server runs (a renewed
 * certificate, on SIGHUP). A handshake reads them once, when it begins
 * ({@link KtlsTlsServer}), so it never mixes one certificate's chain with another's key,
 * and connections already established keep what they were made with. TLS 1.2 sessions
 * stay resumable: a resumed handshake sends no certificate.
 */
public final class ServingCredentials {
    private final AtomicReference<ServerCredentials> current;

    public ServingCredentials(ServerCredentials initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    /** What a handshake beginning now uses. */
    public ServerCredentials current() {
        return current.get();
    }

    /**
     * From now on new handshakes use {@code next}, signing as the credentials it replaces
     * did (the native provider or BouncyCastle, {@link ServerCredentials#signingWith}).
     *
     * @return the credentials now in service
     */
    public ServerCredentials replace(ServerCredentials next) {
        ServerCredentials signing = next.signingWith(current.get().signatures());
        current.set(signing);
        return signing;
    }
}
