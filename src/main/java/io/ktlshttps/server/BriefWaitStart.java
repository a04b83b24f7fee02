package io.ktlshttps.server;

/**
 * Where a new connection's brief wait starts (see ServerConnection#arrivesSoon): the wait
 * that last caught a peer, on any connection. A connection is new only once, so the
 * doubling that a connection learns from its own misses cannot help the waits that every
 * new connection has: its ClientHello, and after a single request its FIN. Measured in the
 * UML kernel with the benchmark's clients (a new connection per request, 5 to 20 ms
 * between their steps), a new connection started at 5 ms missed both and was handed to
 * the poller 1.7 times. The clients that connect now are likely as quick as those just
 * served.
 *
 * <p>It only rises while catches happen at longer waits, and a catch returns as soon as
 * bytes come, so a higher start costs a quick client nothing. It costs a peer that sends
 * nothing: a worker thread for up to that long, not CPU, and not when the workers are
 * crowded (then a connection with nothing to do parks at once). A connection that missed
 * at the longest wait goes back to the shortest, and where it then catches, so does this.
 *
 * <p>Shared by all workers without a lock: an int is written whole, and a lost update
 * only means one connection starts from a neighbour's value.
 */
final class BriefWaitStart {
    private volatile int millis = ServerConnection.BRIEF_WAIT_MILLIS;

    int millis() {
        return millis;
    }

    /** A brief wait of this many milliseconds caught its peer. */
    void caught(int waitMillis) {
        if (millis != waitMillis) { // read first: no write, and no cache-line traffic, in the steady state
            millis = waitMillis;
        }
    }
}
