package io.ktlshttps.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP (reload the certificate) and SIGUSR1 (reopen the access log), as nginx's
 * {@code -s reload} and {@code -s reopen}.
 *
 * <p>Why sun.misc.Signal: Java has no public API for signals, and the JVM owns the process's
 * signal handlers (SIGHUP would otherwise run the shutdown hooks, SIGUSR1 kill the process).
 * A handler of our own through jnr would run Java inside a signal handler, which is not safe;
 * signalfd(2) needs the signal blocked in every thread, and the JVM's threads exist before
 * ours. sun.misc.Signal (module jdk.unsupported, exported, no reflection) runs the handler on
 * a thread of its own, which is what we need. javac calls it proprietary API, a warning that
 * no {@code @SuppressWarnings} reaches; pom.xml silences that warning alone
 * ({@code -XDignore.symbol.file}), and LayeringTest keeps sun.* to this one class.
 */
public final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /**
     * Runs {@code action} on each {@code name} signal ("HUP", "USR1"), on the JVM's signal
     * dispatch thread's helper. An exception it throws is logged, never fatal: a reload that
     * failed leaves the server as it was.
     */
    public static void on(String name, Runnable action) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.error("SIG{}: {}", name, e.toString(), e);
            }
        });
    }
}
