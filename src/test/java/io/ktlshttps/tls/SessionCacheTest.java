package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SessionParameters;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.Test;

class SessionCacheTest {
    private static TlsSession session(byte[] id) {
        BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        SessionParameters parameters = new SessionParameters.Builder()
                .setCipherSuite(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
                .setExtendedMasterSecret(true)
                .setMasterSecret(crypto.createSecret(new byte[48]))
                .setNegotiatedVersion(ProtocolVersion.TLSv12)
                .build();
        return TlsUtils.importSession(id, parameters);
    }

    /**
     * A client that reconnects while its first handshake is still completing waits for the
     * session. The lookup must be seen waiting inside get() before the session is put: a
     * lookup that ran after the put would pass without waiting, and one that gave up would
     * fail by the clock. The wait here is long, so that only a get() that does not wait fails.
     */
    @Test
    void aResumptionWaitsForTheHandshakeThatIsCompleting() throws Exception {
        SessionCache cache = new SessionCache(10, Duration.ofMinutes(1), Duration.ofMinutes(1));
        byte[] id = cache.newSessionId();
        assertEquals(32, id.length);
        TlsSession made = session(id);
        AtomicReference<TlsSession> found = new AtomicReference<>();
        Thread lookup = new Thread(() -> found.set(cache.get(id)), "lookup");
        lookup.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!waitingInGet(lookup)) {
            assertTrue(lookup.isAlive(), "the lookup returned " + found.get() + " before the session was put");
            assertTrue(System.nanoTime() < deadline, "the lookup never waited: " + lookup.getState());
            Thread.sleep(1);
        }
        cache.put(made);
        lookup.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(lookup.isAlive(), "the lookup still waits after the put");
        assertSame(made, found.get());
    }

    /** Parked in a timed wait with SessionCache.get on its stack. */
    private static boolean waitingInGet(Thread t) {
        return t.getState() == Thread.State.TIMED_WAITING && Arrays.stream(t.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(SessionCache.class.getName()) && f.getMethodName().equals("get"));
    }

    @Test
    void anIdWhoseHandshakeNeverCompletedResumesNothing() {
        SessionCache cache = new SessionCache(10, Duration.ofMinutes(1));
        byte[] id = cache.newSessionId();
        long start = System.nanoTime();
        assertNull(cache.get(id));
        long waited = System.nanoTime() - start;
        assertTrue(waited >= SessionCache.PENDING_WAIT.toNanos(), "it waited for the handshake: " + waited + " ns");
        assertTrue(waited < TimeUnit.SECONDS.toNanos(2), "the wait is bounded: " + waited + " ns");
        assertNull(cache.get(new byte[32]), "unknown");
        assertNull(cache.get(new byte[0]), "empty");
    }

    @Test
    void capacityBoundsReservedAndCompleteSessions() {
        SessionCache cache = new SessionCache(3, Duration.ofMinutes(1));
        for (int i = 0; i < 10; i++) {
            cache.put(session(cache.newSessionId()));
        }
        assertEquals(3, cache.size());
    }

    @Test
    void anInvalidatedSessionIsNotResumed() {
        SessionCache cache = new SessionCache(3, Duration.ofMinutes(1));
        TlsSession s = session(cache.newSessionId());
        cache.put(s);
        assertSame(s, cache.get(s.getSessionID()));
        s.invalidate();
        assertNull(cache.get(s.getSessionID()));
    }
}
