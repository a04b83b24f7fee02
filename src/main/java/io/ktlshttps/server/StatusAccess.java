package io.ktlshttps.server;

/** Who may read /server-status. */
public enum StatusAccess {
    /** Clients on 127.0.0.0/8 or ::1 only (the default). */
    LOOPBACK,
    /** Anyone. */
    ANY,
    /** Nobody: the path is served as an ordinary file path. */
    OFF
}
