package io.ktlshttps.tls;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import java.util.EnumSet;
import java.util.Set;

/** What the TLS server offers: its credentials, versions and record ciphers. */
public record TlsServerConfig(ServerCredentials credentials, Set<TlsVersion> versions, Set<AeadCipher> ciphers) {
    public TlsServerConfig {
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("no TLS version enabled");
        }
        if (ciphers.isEmpty()) {
            throw new IllegalArgumentException("no cipher enabled");
        }
        versions = Set.copyOf(versions);
        ciphers = Set.copyOf(ciphers);
    }

    /** TLS 1.2 and 1.3 with every cipher. */
    public static TlsServerConfig defaults(ServerCredentials credentials) {
        return new TlsServerConfig(credentials, EnumSet.allOf(TlsVersion.class), EnumSet.allOf(AeadCipher.class));
    }
}
