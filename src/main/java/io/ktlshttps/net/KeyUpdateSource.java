package io.ktlshttps.net;

import java.io.IOException;

/**
 * Where a kernel TLS channel gets the next generation of TLS 1.3 keys after a KeyUpdate
 * (RFC 8446 section 4.6.3): application_traffic_secret_N+1 = HKDF-Expand-Label(
 * application_traffic_secret_N, "traffic upd", "", Hash.length), and the record keys
 * derived from it, with the sequence number back at 0. Implemented by the TLS layer,
 * which holds the secrets.
 */
public interface KeyUpdateSource {
    /** The client's next keys, for TLS_RX. Each call moves one generation on. */
    TrafficKeys nextReceiveKeys() throws IOException;

    /** The server's next keys, for TLS_TX. Each call moves one generation on. */
    TrafficKeys nextTransmitKeys() throws IOException;
}
