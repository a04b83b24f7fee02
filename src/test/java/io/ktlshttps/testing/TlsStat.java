package io.ktlshttps.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** /proc/net/tls_stat, the kernel's own count of TLS sessions (Documentation/networking/tls.rst). */
public final class TlsStat {
    private static final Path FILE = Path.of("/proc/net/tls_stat");

    private TlsStat() {
    }

    public static Map<String, Long> read() throws IOException {
        Map<String, Long> counters = new HashMap<>();
        for (String line : Files.readAllLines(FILE)) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 2) {
                counters.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        return counters;
    }
}
