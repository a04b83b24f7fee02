package io.ktlshttps.server;

/** Why a connection did not go to the kernel (its label in /server-status). */
public enum KernelRefusal {
    /** The kernel has no TLS, or not for this version and cipher. */
    CIPHER("cipher"),
    /**
     * The client negotiated max_fragment_length and the kernel cannot cap its record
     * size (no TLS_TX_MAX_PAYLOAD_LEN, before Linux 6.19); OpenSSL keeps such connections
     * in user space too.
     */
    MAX_FRAGMENT_LENGTH("max_fragment_length"),
    /** setsockopt refused the ULP or the keys (a client that already sent FIN: ENOTCONN). */
    INSTALL("install");

    final String label;

    KernelRefusal(String label) {
        this.label = label;
    }
}
