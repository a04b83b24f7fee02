package io.ktlshttps.server;

/** Whether connections use kernel TLS. */
public enum KtlsMode {
    /** Kernel TLS where the kernel supports the negotiated cipher, user space otherwise. */
    AUTO,
    /** Refuse to start without kernel TLS, and offer only the ciphers the kernel accepts. */
    REQUIRED,
    /** BouncyCastle's user-space records for every connection. */
    OFF
}
