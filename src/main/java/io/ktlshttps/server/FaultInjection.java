package io.ktlshttps.server;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Test-only faults, so that the fail-fast rules can be shown on the real process:
 * {@code -Dktls-https.inject-fault=POINT:KIND} throws once, the first time the server passes
 * POINT, an {@link InternalError} (KIND {@code error}) or an {@link IllegalStateException}
 * (KIND {@code runtime}). Unset (always, outside the tests), each point is one read of a
 * static final field that the JIT folds away. {@code FailFastTest} uses it.
 */
final class FaultInjection {
    /** The places where a server thread can fail. */
    enum Point {
        /** An event loop's accept path, after accept(2) returned a connection. */
        ACCEPT,
        /** An event loop, once per turn. */
        LOOP,
        /** A connection's turn, at its start. */
        CONNECTION,
        /** The heap-return timer's task, once a second. */
        HEAP_RETURN,
        /** Releasing a connection, before its fd is closed. */
        CLOSE
    }

    static final String PROPERTY = "ktls-https.inject-fault";
    private static final Point POINT;
    private static final boolean ERROR;
    private static final AtomicBoolean FIRED = new AtomicBoolean();

    static {
        String value = System.getProperty(PROPERTY, "");
        Point point = null;
        boolean error = false;
        if (!value.isEmpty()) {
            String[] parts = value.split(":", 2);
            if (parts.length != 2 || !(parts[1].equals("error") || parts[1].equals("runtime"))) {
                throw new IllegalArgumentException(PROPERTY + "=" + value + ": expected POINT:error or POINT:runtime");
            }
            point = Point.valueOf(parts[0].toUpperCase(Locale.ROOT).replace('-', '_'));
            error = parts[1].equals("error");
        }
        POINT = point;
        ERROR = error;
    }

    private FaultInjection() {
    }

    /** Throws the configured fault the first time {@code point} is passed; nothing otherwise. */
    static void at(Point point) {
        if (POINT == point && FIRED.compareAndSet(false, true)) {
            String message = "fault injected at " + point + " (" + PROPERTY + ")";
            if (ERROR) {
                throw new InternalError(message);
            }
            throw new IllegalStateException(message);
        }
    }
}
