package io.ktlshttps.net;

import io.ktlshttps.linux.LinuxConstants;

/** The TLS versions whose records the kernel can carry. */
public enum TlsVersion {
    TLS_1_2("TLSv1.2", LinuxConstants.TLS_1_2_VERSION),
    TLS_1_3("TLSv1.3", LinuxConstants.TLS_1_3_VERSION);

    private final String label;
    private final int wireValue;

    TlsVersion(String label, int wireValue) {
        this.label = label;
        this.wireValue = wireValue;
    }

    /** The protocol's ProtocolVersion on the wire, e.g. 0x0304 (RFC 8446 section 4.2.1). */
    public int wireValue() {
        return wireValue;
    }

    @Override
    public String toString() {
        return label;
    }
}
