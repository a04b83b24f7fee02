package io.ktlshttps.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Rows of the interop matrix: which client, with which protocol-changing option, over
 * which TLS version, on which harness, and what happened. A test records its row only
 * after its own assertions passed, so the file holds what was seen to work; a failure
 * shows up as a failed test instead. scripts/interop-report.py turns the files into
 * docs/interop.md. One file per harness, named after it: host-*.tsv for the host's,
 * linux-*.tsv for a kernel's ("Linux 6.1.176, --ktls=auto"). `make test` clears the
 * directory before it starts, `make unit-test` the host-*.tsv and scripts/kernel-tests.sh
 * the linux-*.tsv before their runs, so the matrix holds one run's rows.
 */
public final class Interop {
    private static final Path DIR = Path.of("target", "interop");

    private Interop() {
    }

    public static synchronized void record(String harness, String client, String option, String tls, String outcome) {
        String file = harness.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.]+", "-") + ".tsv";
        String row = String.join("\t", harness, client, option, tls, outcome) + "\n";
        try {
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve(file), row, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
