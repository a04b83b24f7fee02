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
