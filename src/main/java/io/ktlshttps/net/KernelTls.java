package io.ktlshttps.net;

import io.ktlshttps.linux.KernelTlsProbe;
import java.util.ArrayList;
import java.util.List;

/** What the running kernel offers for TLS, in this layer's terms. Probed once per process. */
public final class KernelTls {
    private KernelTls() {
    }

    /** A (version, cipher) pair. */
    public record Pair(TlsVersion version, AeadCipher cipher) {
        @Override
        public String toString() {
            return version + " " + cipher;
        }
    }

    public static boolean available() {
        return KernelTlsProbe.result().available();
    }

    /** Why kernel TLS is unavailable; empty when it is available. */
    public static String unavailabilityReason() {
        return KernelTlsProbe.result().reason();
    }

    public static String kernelRelease() {
        return KernelTlsProbe.result().kernelRelease();
    }

    public static boolean supports(TlsVersion version, AeadCipher cipher) {
        return KernelTlsProbe.result().accepts(version.wireValue(), cipher.kernelCipher());
    }

    /**
     * Whether the kernel can cap the size of the records it sends (TLS_TX_MAX_PAYLOAD_LEN,
     * Linux 6.19+), as a client's max_fragment_length requires.
     */
    public static boolean limitsRecordSize() {
        return KernelTlsProbe.result().txMaxPayloadLength();
    }

    /** Whether the kernel can install new TLS 1.3 keys on a live socket (TLS_TX/TLS_RX again; Linux 6.14+). */
    public static boolean canRekey() {
        return KernelTlsProbe.result().tls13Rekey();
    }

    /** Every pair the kernel accepted for both TX and RX. */
    public static List<Pair> acceptedPairs() {
        List<Pair> pairs = new ArrayList<>();
        for (TlsVersion v : TlsVersion.values()) {
            for (AeadCipher c : AeadCipher.values()) {
                if (supports(v, c)) {
                    pairs.add(new Pair(v, c));
                }
            }
        }
        return pairs;
    }
}
