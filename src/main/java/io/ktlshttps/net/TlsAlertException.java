package io.ktlshttps.net;

import java.io.IOException;

/**
 * A TLS alert that ended the connection: either received from the peer, or sent by us
 * because of what the peer did.
 */
public final class TlsAlertException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean received;
    private final int level;
    private final int description;

    public TlsAlertException(boolean received, int level, int description, String detail) {
        super((received ? "received " : "sent ") + (level == TlsAlert.FATAL ? "fatal " : "warning ")
                + TlsAlert.describe(description) + (detail.isEmpty() ? "" : ": " + detail));
        this.received = received;
        this.level = level;
        this.description = description;
    }

    /** True if the peer sent the alert, false if we sent it. */
    public boolean received() {
        return received;
    }

    public int level() {
        return level;
    }

    public int description() {
        return description;
    }
}
