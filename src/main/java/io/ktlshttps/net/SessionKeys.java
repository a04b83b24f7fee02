package io.ktlshttps.net;

/**
 * Both directions of a server's connection: receive (client to server) and transmit
 * (server to client).
 */
public record SessionKeys(TrafficKeys receive, TrafficKeys transmit) {
    public SessionKeys {
        if (receive.version() != transmit.version() || receive.cipher() != transmit.cipher()) {
            throw new IllegalArgumentException("both directions must share version and cipher");
        }
    }

    public TlsVersion version() {
        return transmit.version();
    }

    public AeadCipher cipher() {
        return transmit.cipher();
    }

    public void destroy() {
        receive.destroy();
        transmit.destroy();
    }
}
