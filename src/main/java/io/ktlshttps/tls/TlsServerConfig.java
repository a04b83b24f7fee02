package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What the TLS server offers: its credentials (replaceable: {@link ServingCredentials}),
 * versions and record ciphers; the TLS 1.2 session cache (null: no resumption by session ID); session
 * tickets (null: none issued or accepted); whether a
 * client's max_fragment_length (RFC 6066) is agreed to (false: declined, so records stay at
 * 2^14 bytes); and who computes X25519.
 */
public record TlsServerConfig(ServingCredentials serving, Set<TlsVersion> versions, Set<AeadCipher> ciphers,
        SessionCache sessions, boolean acceptMaxFragmentLength, NativeKeyExchange keyExchange,
        SessionTickets tickets) {
    public TlsServerConfig {
        Objects.requireNonNull(serving, "serving");
        Objects.requireNonNull(keyExchange, "keyExchange");
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("no TLS version enabled");
        }
        if (ciphers.isEmpty()) {
            throw new IllegalArgumentException("no cipher enabled");
        }
        versions = Set.copyOf(versions);
        ciphers = Set.copyOf(ciphers);
    }

    /** No session tickets. */
    public TlsServerConfig(ServingCredentials serving, Set<TlsVersion> versions, Set<AeadCipher> ciphers,
            SessionCache sessions, boolean acceptMaxFragmentLength, NativeKeyExchange keyExchange) {
        this(serving, versions, ciphers, sessions, acceptMaxFragmentLength, keyExchange, null);
    }

    /** Fixed credentials. */
    public TlsServerConfig(ServerCredentials credentials, Set<TlsVersion> versions, Set<AeadCipher> ciphers,
            SessionCache sessions, boolean acceptMaxFragmentLength, NativeKeyExchange keyExchange) {
        this(new ServingCredentials(credentials), versions, ciphers, sessions, acceptMaxFragmentLength, keyExchange);
    }

    /** X25519 by BouncyCastle. */
    public TlsServerConfig(ServerCredentials credentials, Set<TlsVersion> versions, Set<AeadCipher> ciphers,
            SessionCache sessions, boolean acceptMaxFragmentLength) {
        this(credentials, versions, ciphers, sessions, acceptMaxFragmentLength, NativeKeyExchange.off());
    }

    /** No session cache; max_fragment_length agreed to; X25519 by BouncyCastle. */
    public TlsServerConfig(ServerCredentials credentials, Set<TlsVersion> versions, Set<AeadCipher> ciphers) {
        this(credentials, versions, ciphers, null, true);
    }

    /** The credentials in service now: read once per handshake. */
    public ServerCredentials credentials() {
        return serving.current();
    }

    /** TLS 1.2 and 1.3 with every cipher. */
    public static TlsServerConfig defaults(ServerCredentials credentials) {
        return new TlsServerConfig(credentials, EnumSet.allOf(TlsVersion.class), EnumSet.allOf(AeadCipher.class));
    }

    public TlsServerConfig withSessions(SessionCache cache) {
        return new TlsServerConfig(serving, versions, ciphers, cache, acceptMaxFragmentLength, keyExchange, tickets);
    }

    public TlsServerConfig withMaxFragmentLength(boolean accept) {
        return new TlsServerConfig(serving, versions, ciphers, sessions, accept, keyExchange, tickets);
    }

    public TlsServerConfig withKeyExchange(NativeKeyExchange exchange) {
        return new TlsServerConfig(serving, versions, ciphers, sessions, acceptMaxFragmentLength, exchange, tickets);
    }

    public TlsServerConfig withTickets(SessionTickets sessionTickets) {
        return new TlsServerConfig(serving, versions, ciphers, sessions, acceptMaxFragmentLength, keyExchange,
                sessionTickets);
    }
}
