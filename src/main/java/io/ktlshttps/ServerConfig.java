package io.ktlshttps;

import io.ktlshttps.http.RequestLimits;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.ServerCredentials;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Everything the server needs, immutable.
 *
 * @param bind null for all interfaces
 * @param sendfile false to send file bodies with write(2) through kernel TLS instead of
 *        sendfile(2) (for comparison, like nginx's "sendfile off")
 */
public record ServerConfig(InetAddress bind, int port, Path root, ServerCredentials credentials,
        boolean selfSigned, KtlsMode ktls, Set<TlsVersion> versions, Set<AeadCipher> ciphers, int maxConnections,
        Duration handshakeTimeout, Duration headerTimeout, Duration idleTimeout, Duration shutdownGrace,
        StatusAccess statusAccess, RequestLimits limits, boolean sendfile) {
    public static final String STATUS_PATH = "/server-status";

    public ServerConfig {
        versions = Set.copyOf(versions);
        ciphers = Set.copyOf(ciphers);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max connections must be at least 1");
        }
    }

    /** Defaults for tests: an ephemeral port on loopback. */
    public static ServerConfig forTest(Path root, ServerCredentials credentials, KtlsMode mode) {
        return new ServerConfig(InetAddress.getLoopbackAddress(), 0, root, credentials, false, mode,
                EnumSet.allOf(TlsVersion.class), EnumSet.allOf(AeadCipher.class), 64, Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(5), StatusAccess.LOOPBACK,
                RequestLimits.DEFAULT, true);
    }

    public ServerConfig withTimeouts(Duration handshake, Duration header, Duration idle) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, maxConnections,
                handshake, header, idle, shutdownGrace, statusAccess, limits, sendfile);
    }

    public ServerConfig withMaxConnections(int max) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, versions, ciphers, max,
                handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile);
    }

    public ServerConfig withTls(Set<TlsVersion> tlsVersions, Set<AeadCipher> tlsCiphers) {
        return new ServerConfig(bind, port, root, credentials, selfSigned, ktls, tlsVersions, tlsCiphers,
                maxConnections, handshakeTimeout, headerTimeout, idleTimeout, shutdownGrace, statusAccess, limits, sendfile);
    }
}
