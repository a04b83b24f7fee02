package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/ktls-https.service passes {@code systemd-analyze verify} (Debian's systemd
 * package; scripts/install-deps.sh installs it for the tests) with no word at all:
 * systemd-analyze exits 0 on an unknown key or a value it cannot parse and only says so,
 * and a typo in a hardening option is exactly what would go unnoticed. Under CI=true a
 * host without systemd-analyze fails rather than skips.
 */
class SystemdUnitTest {
    private static final Path UNIT = Path.of("packaging/ktls-https.service");

    @TempDir
    Path dir;

    private record Verdict(int status, String output) {
        boolean clean() {
            return status == 0 && output.isBlank();
        }
    }

    private static Verdict verify(Path unit) throws Exception {
        boolean found = Files.isExecutable(Path.of("/usr/bin/systemd-analyze")) || Files.isExecutable(Path.of("/bin/systemd-analyze"));
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(found, "systemd-analyze is missing under CI=true (scripts/install-deps.sh installs systemd)");
        }
        assumeTrue(found, "systemd-analyze is not installed (scripts/install-deps.sh installs systemd)");
        Process p = new ProcessBuilder("systemd-analyze", "verify", "--man=no", unit.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify did not end");
        return new Verdict(p.exitValue(), output);
    }

    @Test
    void theUnitPassesSystemdAnalyzeVerify() throws Exception {
        Verdict verdict = verify(UNIT);
        assertTrue(verdict.clean(), "systemd-analyze verify " + UNIT + ": exit " + verdict.status() + "\n"
                + verdict.output());
    }

    /** The check itself: a unit with a misspelt option (exit status 0 from systemd-analyze) must not pass. */
    @Test
    void aMisspeltOptionDoesNotPass() throws Exception {
        Path broken = dir.resolve("ktls-https.service");
        String unit = Files.readString(UNIT);
        assertNotEquals(-1, unit.indexOf("\nNoNewPrivileges=yes\n"));
        Files.writeString(broken, unit.replace("\nNoNewPrivileges=yes\n", "\nNoNewPrivilege=yes\n"));
        Verdict verdict = verify(broken);
        assertEquals(false, verdict.clean(), "a misspelt option passed: " + verdict);
        assertTrue(verdict.output().contains("NoNewPrivilege"), verdict.output());
    }
}
