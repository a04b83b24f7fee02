package io.ktlshttps.server;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Error the server cannot recover from (OutOfMemoryError, most likely) ends the
 * process with {@link #STATUS}, so that a supervisor (systemd, a container runtime)
 * restarts it. A server that stays up without its accept loop or its poller accepts
 * connections it never serves: worse than none.
 */
public final class Fatal {
    /** EX_SOFTWARE from sysexits.h: an internal software error. */
    public static final int STATUS = 70;
    private static final Logger LOG = LoggerFactory.getLogger(Fatal.class);
    private static final AtomicBoolean EXITING = new AtomicBoolean();
    /** Heap set aside at startup and released to log the last line when the heap has run out. */
    private static volatile byte[] reserve = new byte[1 << 20];
    /** Written as is if even the log fails. */
    private static final byte[] LAST_WORDS = ("fatal error: exiting with status " + STATUS
            + " so that a supervisor restarts the server\n").getBytes(StandardCharsets.US_ASCII);

    private Fatal() {
    }

    /** Loads this class and sets its reserve aside now, while there is heap for it. */
    static void prepare() {
        if (reserve == null) {
            throw new IllegalStateException("no reserve");
        }
    }

    /**
     * A RuntimeException that escaped a server thread's own loop (not one connection's
     * turn), as the Error that {@link #exit} takes: that thread is gone, and the server
     * with it.
     */
    public static InternalError unexpected(RuntimeException e) {
        return new InternalError("unexpected " + e, e);
    }

    /** Logs once and halts: no shutdown hooks, which would need the heap that ran out. */
    public static void exit(String where, Error error) {
        if (EXITING.compareAndSet(false, true)) {
            reserve = null;
            try {
                LOG.error("{} in {}: exiting with status {} so that a supervisor restarts the server", error, where,
                        STATUS, error);
            } catch (Throwable logging) {
                System.err.write(LAST_WORDS, 0, LAST_WORDS.length);
                System.err.flush();
            }
            Runtime.getRuntime().halt(STATUS);
        }
        // Another thread is logging and halting: wait for it rather than carry on.
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
