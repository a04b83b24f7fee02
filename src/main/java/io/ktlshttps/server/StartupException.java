package io.ktlshttps.server;

/**
 * The server cannot start, for a reason the operator can fix: the port is taken, the
 * address is not this host's, the root is not a readable directory, --ktls=required on a
 * kernel without kernel TLS. The message is one line that says what and where (as nginx's
 * {@code bind() to 0.0.0.0:443 failed (98: Address already in use)}); the command line
 * prints it alone, with no stack trace, and exits with status 2.
 */
public final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
