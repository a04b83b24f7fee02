package io.ktlshttps.server;

import io.ktlshttps.http.RequestLimits;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.ServerCredentials;
import io.ktlshttps.tls.TicketKeys;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Everything the server needs, immutable.
 *
 * @param bind null for all interfaces
 * @param maxConnections connections held at once, idle ones included (capped by the fd
 *        limit when the server starts); more wait in the listen backlog
 * @param loops event loops: threads that each own the connections they accept, for their
 *        whole life (EventLoop); by default one per available processor
 * @param sendfile false to send file bodies with write(2) through kernel TLS instead of
 *        sendfile(2) (for comparison, like nginx's "sendfile off")
 * @param sessionCacheSize TLS 1.2 sessions kept for resumption; 0 turns resumption off
 * @param sessionTimeout how long after its full handshake a session may be resumed
 * @param rekeyAfterRecords TLS 1.3 over kernel TLS: after this many records sent under one
 *        key, send a KeyUpdate and rekey (RFC 8446 section 5.5); 0 never
 * @param nativeCrypto sign handshakes with native ECDSA (tls.NativeSignatures) and compute X25519 with
 *        OpenSSL (tls.NativeKeyExchange) where they load
 * @param sessionTickets TLS 1.2 session tickets (RFC 5077) beside session IDs, good for sessionTimeout;
 *        resumption off (sessionCacheSize 0) turns them off too
 * @param ticketKey the key that seals tickets (--ticket-key), fixed; null for random keys, rotated
 */
public record ServerConfig(InetAddress bind, int port, Path root, ServerCredentials credentials,
        boolean selfSigned, KtlsMode ktls, Set<TlsVersion> versions, Set<AeadCipher> ciphers, int maxConnections,
        int loops, Duration handshakeTimeout, Duration headerTimeout, Duration idleTimeout, Duration shutdownGrace,
        StatusAccess statusAccess, RequestLimits limits, boolean sendfile, int sessionCacheSize,
        Duration sessionTimeout, long rekeyAfterRecords, boolean nativeCrypto, boolean sessionTickets,
        TicketKeys.Key ticketKey) {
    public static final String STATUS_PATH = "/server-status";
    /** Connections held by default: 10,000 idle ones and room to serve more (see docs/benchmarks/). */
    public static final int DEFAULT_MAX_CONNECTIONS = 16_384;
    /** Event loops by default: one per processor the JVM may use, as nginx's worker_processes auto. */
    public static final int DEFAULT_LOOPS = Runtime.getRuntime().availableProcessors();
    /** TLS 1.2 sessions kept by default (each about 2 KiB with its certificate references). */
    public static final int DEFAULT_SESSION_CACHE = 20_000;
    /** nginx's and OpenSSL's default session lifetime. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofMinutes(5);
    /**
     * 2^23 records, under every AEAD limit we offer: AES-GCM 2^24.5 full records (RFC 8446
     * section 5.5), AES-CCM 2^23.5 (RFC 9147 section 4.5.3); ChaCha20-Poly1305 has none in practice.
     */
    public static final long DEFAULT_REKEY_RECORDS = 1L << 23;

    public ServerConfig {
        versions = Set.copyOf(versions);
        ciphers = Set.copyOf(ciphers);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max connections must be at least 1");
        }
        if (loops < 1) {
            throw new IllegalArgumentException("loops must be at least 1");
        }
        if (sessionCacheSize < 0) {
            throw new IllegalArgumentException("session cache size must be 0 or more");
        }
        if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
            throw new IllegalArgumentException("session timeout must be positive");
        }
        if (rekeyAfterRecords < 0) {
            throw new IllegalArgumentException("rekey threshold must be 0 or more");
        }
    }

    /** Defaults for tests: an ephemeral port on loopback. */
    public static ServerConfig forTest(Path root, ServerCredentials credentials, KtlsMode mode) {
        return new ServerConfig(InetAddress.getLoopbackAddress(), 0, root, credentials, false, mode,
                EnumSet.allOf(TlsVersion.class), EnumSet.allOf(AeadCipher.class), 64, 16, Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(5), StatusAccess.LOOPBACK,
                RequestLimits.DEFAULT, true, DEFAULT_SESSION_CACHE, DEFAULT_SESSION_TIMEOUT, DEFAULT_REKEY_RECORDS,
                true, true, null);
    }

    public ServerConfig withTimeouts(Duration handshake, Duration header, Duration idle) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshake, header, idle, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withMaxConnections(int max) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, max,
                loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withLoops(int count) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                count, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withShutdownGrace(Duration grace) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshakeTimeout, headerTimeout, idleTimeout, grace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withSessionCache(int size, Duration timeout) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                size, timeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withRekeyAfterRecords(long records) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, records, nativeCrypto, sessionTickets, ticketKey);
    }

    public ServerConfig withNativeCrypto(boolean use) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, use, sessionTickets, ticketKey);
    }

    public ServerConfig withSessionTickets(boolean on, TicketKeys.Key key) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, on, key);
    }

    public ServerConfig withTls(Set<TlsVersion> tlsVersions, Set<AeadCipher> tlsCiphers) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, tlsVersions, tlsCiphers,
                maxConnections, loops, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile,
                sessionCacheSize, sessionTimeout, rekeyAfterRecords, nativeCrypto, sessionTickets, ticketKey);
    }
}
