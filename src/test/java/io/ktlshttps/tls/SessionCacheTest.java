package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    /** A client that reconnects while its first handshake is still completing waits for the session. */
    @Test
    void aResumptionWaitsForTheHandshakeThatIsCompleting() throws Exception {
        SessionCache cache = new SessionCache(10, Duration.ofMinutes(1));
        byte[] id = cache.newSessionId();
        assertEquals(32, id.length);
        CompletableFuture<TlsSession> lookup = CompletableFuture.supplyAsync(() -> cache.get(id));
        Thread.sleep(50);
        TlsSession made = session(id);
        cache.put(made);
        assertSame(made, lookup.get(5, TimeUnit.SECONDS));
    }

    @Test
    void anIdWhoseHandshakeNeverCompletedResumesNothing() {
        SessionCache cache = new SessionCache(10, Duration.ofMinutes(1));
        byte[] id = cache.newSessionId();
        long start = System.nanoTime();
        assertNull(cache.get(id));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "the wait is bounded");
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
