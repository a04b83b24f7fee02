package io.ktlshttps.testing;

import io.ktlshttps.net.KernelTls;

/**
 * What the running kernel must offer, by its release alone (../shared/KERNEL-TLS-LAB.md and
 * REFERENCES.md). Tests expect features from these, never from the server's own probe
 * ({@code KernelTls}): a probe that wrongly said "no" would otherwise send every test down
 * the old-kernel branch, and they would pass with the feature broken.
 */
public final class KernelVersion {
    private KernelVersion() {
    }

    /** Whether the running kernel's release is at least major.minor. */
    public static boolean atLeast(int major, int minor) {
        return atLeast(KernelTls.kernelRelease(), major, minor);
    }

    /** Whether release (as uname -r prints it, e.g. "6.1.0-28-amd64") is at least major.minor. */
    static boolean atLeast(String release, int major, int minor) {
        String[] parts = release.split("[.-]");
        int have = Integer.parseInt(parts[0]) * 1000 + Integer.parseInt(parts[1]);
        return have >= major * 1000 + minor;
    }

    /** TLS_TX_MAX_PAYLOAD_LEN, which caps the records the kernel sends: Linux 6.19. */
    public static boolean capsRecords() {
        return KernelTls.available() && atLeast(6, 19);
    }

    /** TLS_TX and TLS_RX set again on a live TLS 1.3 socket (rekey after KeyUpdate): Linux 6.14. */
    public static boolean rekeys() {
        return KernelTls.available() && atLeast(6, 14);
    }
}
