package io.ktlshttps;

import io.ktlshttps.net.KernelTls;
import io.ktlshttps.testing.TestCredentials;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up errors a newcomer meets, tried as a user would: the real process
 * ({@code java -cp ... io.ktlshttps.Main}). Each must end the process with status 2 and
 * exactly one line that says what and where ("ktls-https: --root /x: no such directory",
 * "ktls-https: bind() to 127.0.0.1:4433 failed (98: EADDRINUSE, ...)"): no stack trace, no
 * usage text. The usage text is for a command line that cannot be read (an unknown option,
 * an option without its value), and still comes then.
 */
class StartupErrorsTest {
    /** The nobody user, for what root is never refused (a privileged port, an unreadable directory). */
    private static final String NOBODY = "65534";
    /** How every start-up error line begins (Main.ERROR_PREFIX; spelled out so that this test compiles against older code). */
    private static final String PREFIX = "ktls-https: ";

    @TempDir
    Path dir;

    @Test
    void aRootThatDoesNotExist() throws Exception {
        Path missing = dir.resolve("missing");
        assertOneLine(run("--root", missing.toString()), "--root " + missing + ": no such directory");
    }

    @Test
    void aRootThatIsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("index.html"), "hello\n");
        assertOneLine(run("--root", file.toString()), "--root " + file + ": not a directory");
    }

    @Test
    void aRootTheServerCannotRead() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            assertOneLine(runAsNonRoot(List.of(), "--root", locked.toString()), "--root " + locked + ": permission denied");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void anAddressThisHostDoesNotHave() throws Exception {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, on no interface here.
        assertOneLine(run("--bind", "192.0.2.1", "--port", "4433"),
                "bind() to 192.0.2.1:4433 failed (99: EADDRNOTAVAIL, this host has no such address)");
    }

    @Test
    void aPortHeldByAnotherProgram() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = other.getLocalPort();
            assertOneLine(run("--bind", "127.0.0.1", "--port", Integer.toString(port)),
                    "bind() to 127.0.0.1:" + port + " failed (98: EADDRINUSE, address already in use)");
        }
    }

    @Test
    void aPrivilegedPortAsAnOrdinaryUser() throws Exception {
        int port = 1023;
        if (firstUnprivilegedPort() <= port) {
            // Containers often open every port to every user (ip_unprivileged_port_start 0);
            // a new network namespace has the kernel's default, 1024, and binds only there.
            assumeTrue(uid() == 0, "net.ipv4.ip_unprivileged_port_start is " + firstUnprivilegedPort()
                    + ": port " + port + " is open to every user here, and only root could try in a namespace");
            assertOneLine(runAsNonRoot(List.of("unshare", "--net"), "--bind", "0.0.0.0", "--port",
                    Integer.toString(port)), "bind() to *:" + port + " failed (13: EACCES, permission denied");
            return;
        }
        assertOneLine(runAsNonRoot(List.of(), "--bind", "127.0.0.1", "--port", Integer.toString(port)),
                "bind() to 127.0.0.1:" + port + " failed (13: EACCES, permission denied");
    }

    private static int firstUnprivilegedPort() throws IOException {
        // Not Files.readString: on this procfs file (size 0) it returned "1" for "1024" here.
        return Integer.parseInt(
                Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).get(0).trim());
    }

    private static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    @Test
    void aPortOutOfRange() throws Exception {
        assertOneLine(run("--port", "70000"), "--port 70000: not a TCP port (0 to 65535");
    }

    @Test
    void aCertificateFileThatIsMissing() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        assertOneLine(run("--cert", cert.toString(), "--key", key.toString()), "--cert " + cert + ": no such file");
    }

    @Test
    void aTicketKeyFileOfTheWrongSize() throws Exception {
        Path file = Files.write(dir.resolve("ticket.key"), new byte[32]);
        assertOneLine(run("--ticket-key", file.toString()), "--ticket-key " + file
                + ": expected 48 or 80 bytes (nginx's ssl_session_ticket_key format, e.g. openssl rand 80 > FILE),"
                + " found 32");
    }

    @Test
    void aTicketKeyFileThatIsMissing() throws Exception {
        Path file = dir.resolve("ticket.key");
        assertOneLine(run("--ticket-key", file.toString()), "--ticket-key " + file + ": no such file");
    }

    @Test
    void aKeyFileThatIsMissing() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        TestCredentials.opensslEcIdentity("prime256v1", dir.resolve("other-key.pem"), cert);
        assertOneLine(run("--cert", cert.toString(), "--key", key.toString()), "--key " + key + ": no such file");
    }

    /** Logback would only note it in its status list, and drop the log unseen. */
    @Test
    void anAccessLogThatCannotBeWritten() throws Exception {
        assertOneLine(run("--access-log", dir.toString()), "--access-log " + dir + ": is a directory");
    }

    @Test
    void aModeThatDoesNotExist() throws Exception {
        assertOneLine(run("--ktls=sometimes"), "'--ktls': expected auto, required or off, not 'sometimes'");
    }

    /**
     * --ktls=required where the kernel has no kernel TLS: one line that says so and why, status 2
     * (the README's). On a host that has it the same command must start, so this never passes
     * by not running.
     */
    @Test
    void requiredKernelTlsWhereTheKernelHasNone() throws Exception {
        if (KernelTls.available()) {
            Process p = command(List.of(), "--ktls=required").redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null && !line.contains("serving ")) {
                    assertFalse(line.startsWith(PREFIX), line);
                }
                assertTrue(line != null, "the server with --ktls=required did not start on a kernel with kernel TLS");
            } finally {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            return;
        }
        assertOneLine(run("--ktls=required"), "--ktls=required, but kernel TLS is unavailable on "
                + KernelTls.kernelRelease() + ": " + KernelTls.unavailabilityReason());
    }

    @Test
    void aMistypedOptionStillGetsTheUsage() throws Exception {
        Result r = run("--prot", "4433");
        assertEquals(2, r.status, r.text());
        assertTrue(r.lines.get(0).startsWith("Unknown option"), r.text());
        assertTrue(r.text().contains("Usage: ktls-https"), r.text());
        assertTrue(r.text().contains("--root=DIR"), r.text());
    }

    @Test
    void anOptionWithoutItsValueStillGetsTheUsage() throws Exception {
        Result r = run("--root");
        assertEquals(2, r.status, r.text());
        assertTrue(r.lines.get(0).startsWith("Missing required parameter for option '--root'"), r.text());
        assertTrue(r.text().contains("Usage: ktls-https"), r.text());
    }

    /** Status 2, and the whole output one line: the prefix and the expected text. */
    private static void assertOneLine(Result r, String expected) {
        assertFalse(r.text().contains("\tat ") || r.text().contains("Exception in thread"),
                "a stack trace:\n" + r.text());
        assertFalse(r.text().contains("Usage:"), "the usage text, for a value that is wrong:\n" + r.text());
        assertEquals(1, r.lines.size(), "one line:\n" + r.text());
        assertTrue(r.lines.get(0).startsWith(PREFIX) && r.lines.get(0).contains(expected),
                "expected '" + expected + "' in:\n" + r.text());
        assertEquals(2, r.status, "exit status; output:\n" + r.text());
    }

    private record Result(int status, List<String> lines) {
        String text() {
            return String.join("\n", lines);
        }
    }

    /** The server with these options (and a root, an ephemeral port on loopback unless given). */
    private Result run(String... options) throws Exception {
        return collect(command(List.of(), options));
    }

    /**
     * As an ordinary user: as nobody (setpriv, after the command asRootFirst) when the tests run
     * as root, with the class path copied where nobody can read it (the build's may sit under
     * root's home).
     */
    private Result runAsNonRoot(List<String> asRootFirst, String... options) throws Exception {
        if (uid() != 0) {
            return collect(command(List.of(), options));
        }
        Path copy = Files.createDirectory(dir.resolve("classpath"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(":")) {
            Path from = Path.of(entry);
            Path to = copy.resolve(i++ + "-" + from.getFileName());
            copyTree(from, to);
            entries.add(to.toString());
        }
        openToAll(dir);
        List<String> prefix = new ArrayList<>(asRootFirst);
        prefix.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        ProcessBuilder b = command(prefix, options);
        List<String> c = b.command();
        int cp = c.indexOf("-cp");
        c.set(cp + 1, String.join(":", entries));
        c.add(cp, "-XX:-UsePerfData"); // no /tmp/hsperfdata_nobody to write
        return collect(b);
    }

    private ProcessBuilder command(List<String> prefix, String... options) {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ktlshttps.Main"));
        List<String> given = List.of(options);
        if (given.stream().noneMatch(o -> o.startsWith("--root"))) {
            command.addAll(List.of("--root", dir.toString()));
        }
        if (given.stream().noneMatch(o -> o.startsWith("--port"))) {
            command.addAll(List.of("--port", "0"));
        }
        if (given.stream().noneMatch(o -> o.startsWith("--bind"))) {
            command.addAll(List.of("--bind", "127.0.0.1"));
        }
        command.addAll(given);
        return new ProcessBuilder(command);
    }

    /** Its exit status and output; a server that starts instead is stopped, and the test fails. */
    private static Result collect(ProcessBuilder b) throws Exception {
        Process p = b.redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output unreadable: " + e + ")");
            }
        });
        reader.start();
        try {
            for (int i = 0; i < 600 && !p.waitFor(100, TimeUnit.MILLISECONDS); i++) {
                synchronized (lines) {
                    if (lines.stream().anyMatch(l -> l.contains(" - serving "))) {
                        throw new AssertionError("the server started:\n" + String.join("\n", lines));
                    }
                }
            }
            if (p.isAlive()) {
                throw new AssertionError("still running after 60 s:\n" + String.join("\n", lines));
            }
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(10_000);
        }
        synchronized (lines) {
            return new Result(p.exitValue(), lines.stream().filter(l -> !l.isEmpty()).collect(Collectors.toList()));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.copy(from, to);
            return;
        }
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Read and search for all: the temporary directory and what was copied (not the locked one). */
    private static void openToAll(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.getFileName().toString().equals("locked")) {
                    continue;
                }
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }
}
