package io.ktlshttps.tls;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.util.Arrays;

/**
 * TLS 1.2 sessions by session ID (RFC 5246 section 7.4.1.2), in memory, for abbreviated
 * handshakes. Bounded in count (the oldest session goes first) and in age (a session older
 * than its lifetime is never resumed, and is dropped when next seen or when it reaches the
 * head of the queue). Thread-safe.
 *
 * <p>Only sessions with an extended master secret (RFC 7627) are cached: resuming a
 * session without it is open to the triple handshake attack.
 */
public final class SessionCache {
    /** Session IDs are 32 random bytes, like OpenSSL's and nginx's. */
    private static final int ID_LENGTH = 32;

    private final int capacity;
    private final long lifetimeNanos;
    private final SecureRandom random = new SecureRandom();
    private final Map<Key, Entry> sessions = new LinkedHashMap<>();

    private record Key(byte[] id) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && java.util.Arrays.equals(id, k.id);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(id);
        }
    }

    /**
     * A session, or the promise of one: the ID goes out in the ServerHello, and the
     * session exists only once the full handshake completes, which is just after our
     * Finished was sent. A client that reconnects at once may offer the ID in between.
     */
    private record Entry(CompletableFuture<TlsSession> session, long createdNanos) {
    }

    /** How long a resumption waits for the full handshake that made its session to complete. */
    static final Duration PENDING_WAIT = Duration.ofMillis(200);

    private final long pendingWaitNanos;

    /**
     * @param capacity at most this many sessions are kept (at least 1)
     * @param lifetime how long a session may be resumed after its full handshake
     */
    public SessionCache(int capacity, Duration lifetime) {
        this(capacity, lifetime, PENDING_WAIT);
    }

    /** With another wait for a completing handshake: for tests, which must not race it. */
    SessionCache(int capacity, Duration lifetime, Duration pendingWait) {
        if (capacity < 1) {
            throw new IllegalArgumentException("session cache capacity must be at least 1");
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("session lifetime must be positive");
        }
        this.capacity = capacity;
        this.lifetimeNanos = lifetime.toNanos();
        this.pendingWaitNanos = pendingWait.toNanos();
    }

    public int capacity() {
        return capacity;
    }

    public Duration lifetime() {
        return Duration.ofNanos(lifetimeNanos);
    }

    /** A fresh random session ID, reserved for the session that the handshake will make. */
    byte[] newSessionId() {
        byte[] id = new byte[ID_LENGTH];
        synchronized (random) {
            random.nextBytes(id);
        }
        long now = System.nanoTime();
        synchronized (sessions) {
            sessions.put(new Key(Arrays.clone(id)), new Entry(new CompletableFuture<>(), now));
            makeRoom(now);
        }
        return id;
    }

    /** Keeps a resumable session; the oldest ones make room. */
    void put(TlsSession session) {
        byte[] id = session.getSessionID();
        if (id == null || id.length == 0 || !session.isResumable()) {
            return;
        }
        long now = System.nanoTime();
        synchronized (sessions) {
            Entry reserved = sessions.get(new Key(id));
            if (reserved != null) {
                reserved.session().complete(session);
            } else {
                sessions.put(new Key(Arrays.clone(id)), new Entry(CompletableFuture.completedFuture(session), now));
            }
            makeRoom(now);
        }
    }

    /**
     * The session with this ID if it is known, unexpired and still resumable; otherwise
     * null. A session whose full handshake is still completing is waited for briefly.
     */
    TlsSession get(byte[] id) {
        if (id == null || id.length == 0) {
            return null;
        }
        Entry entry;
        synchronized (sessions) {
            entry = sessions.get(new Key(id));
        }
        if (entry == null) {
            return null;
        }
        TlsSession session;
        try {
            session = entry.session().get(pendingWaitNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null; // that handshake never completed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        if (System.nanoTime() - entry.createdNanos() > lifetimeNanos || !session.isResumable()) {
            synchronized (sessions) {
                sessions.remove(new Key(id), entry);
            }
            session.invalidate();
            return null;
        }
        return session;
    }

    /** Drops expired sessions, then the oldest ones beyond the capacity. */
    private void makeRoom(long now) {
        expire(now);
        Iterator<Entry> oldest = sessions.values().iterator();
        while (sessions.size() > capacity && oldest.hasNext()) {
            invalidate(oldest.next());
            oldest.remove();
        }
    }

    private static void invalidate(Entry entry) {
        TlsSession session = entry.session().getNow(null);
        if (session != null) {
            session.invalidate();
        }
    }

    /** How many sessions are held now. */
    public int size() {
        synchronized (sessions) {
            expire(System.nanoTime());
            return sessions.size();
        }
    }

    /** Drops expired sessions from the head of the queue (the map keeps insertion order). */
    private void expire(long now) {
        Iterator<Entry> it = sessions.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (now - e.createdNanos() <= lifetimeNanos) {
                return;
            }
            invalidate(e);
            it.remove();
        }
    }
}
