package io.ktlshttps;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.ServerProcess;
import io.ktlshttps.testing.TestSuites;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * --ktls=required on a kernel that lacks a cipher the server otherwise offers: the server
 * offers only what the kernel takes, so a client offering only the missing cipher is
 * refused in the handshake (handshake_failure, no common cipher), and one offering a cipher
 * the kernel has is served with the kernel carrying its records.
 *
 * <p>Both test kernels (UML 6.1, Debian's 7.3) take every cipher the server has. So where the
 * kernel has them all, the test takes one away for its duration: it unloads the
 * chacha20poly1305 module (loaded by the harness, unused between connections) and points
 * /proc/sys/kernel/modprobe at a wrapper that refuses to load it again, then restores both.
 * That needs root and the cipher as a module, as in the test kernels; the server runs as its
 * own process so that its probe sees the kernel as it is then.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelRequiredCiphersKernelTest {
    private static final Path MODPROBE = Path.of("/proc/sys/kernel/modprobe");
    private static final String CHACHA_MODULE = "chacha20poly1305";

    private AeadCipher missing;
    private String modprobeBefore;
    private Path root;
    private ServerProcess server;
    private int port;

    @BeforeAll
    void startOnAKernelThatLacksACipher() throws Exception {
        missing = Arrays.stream(AeadCipher.values())
                .filter(c -> !KernelTls.supports(TlsVersion.TLS_1_2, c) || !KernelTls.supports(TlsVersion.TLS_1_3, c))
                .findFirst().orElse(null);
        if (missing == null) {
            takeChaChaAway();
            missing = AeadCipher.CHACHA20_POLY1305;
        }
        root = Files.createTempDirectory("required-ciphers");
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        server = ServerProcess.start(List.of(), List.of("--bind", "127.0.0.1", "--port", "0", "--root",
                root.toString(), "--ktls=required", "--log-level", "debug", "--access-log", "off"));
        port = server.awaitPort();
    }

    @AfterAll
    void restore() throws Exception {
        if (server != null) {
            server.process().destroy();
            server.process().waitFor(20, TimeUnit.SECONDS);
        }
        if (modprobeBefore != null) {
            Files.writeString(MODPROBE, modprobeBefore + "\n");
            run(modprobeBefore, CHACHA_MODULE);
        }
    }

    @Test
    void theServerNamesOnlyTheCiphersTheKernelTakes() {
        String mode = line("mode: --ktls=required");
        assertFalse(mode.contains(missing.name()), mode);
        assertTrue(mode.contains(AeadCipher.AES_128_GCM.name()), mode);
        assertFalse(line("kernel TLS: available").contains(missing.name()), "the probe: " + server.tail());
    }

    @Test
    void aClientOfferingOnlyTheMissingCipherGetsHandshakeFailure() {
        for (TestSuites suite : TestSuites.values()) {
            if (suite.cipher != missing) {
                continue;
            }
            TlsFatalAlertReceived alert = assertThrows(TlsFatalAlertReceived.class,
                    () -> BcTestClient.connect(port, suite).close(), suite.toString());
            assertEquals(AlertDescription.handshake_failure, alert.getAlertDescription(), suite.toString());
        }
    }

    @Test
    void aClientOfferingACipherTheKernelHasIsServedByTheKernel() throws Exception {
        for (TestSuites suite : new TestSuites[] {TestSuites.TLS12_AES_128_GCM, TestSuites.TLS13_AES_128_GCM}) {
            try (BcTestClient client = BcTestClient.connect(port, suite)) {
                client.output().write("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(EndToEndSuite.readToClose(client.input()), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 200 ") && response.endsWith("hello\n"), response);
            }
            // The debug line per connection: the kernel's own readback of TX and RX.
            String expected = suite.version + " " + suite.cipher + " full kernel TX on RX on";
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!said(expected) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(said(expected), expected + " in:\n" + server.tail());
        }
    }

    private boolean said(String text) {
        synchronized (server.output()) {
            return server.output().stream().anyMatch(l -> l.contains(text));
        }
    }

    /** The first line of the server's output that contains text. */
    private String line(String text) {
        synchronized (server.output()) {
            return server.output().stream().filter(l -> l.contains(text)).findFirst()
                    .orElseThrow(() -> new AssertionError("no '" + text + "' in:\n" + server.tail()));
        }
    }

    private void takeChaChaAway() throws Exception {
        List<String> modules = Files.readAllLines(Path.of("/proc/modules"));
        boolean unused = modules.stream().anyMatch(l -> l.startsWith(CHACHA_MODULE + " ") && l.split(" ")[2].equals("0"));
        assertTrue(unused, "the kernel takes every cipher, and " + CHACHA_MODULE + " is no unused module that this"
                + " test could unload (it needs root and the cipher as a module, as in the test kernels):\n"
                + String.join("\n", modules));
        String before = Files.readAllLines(MODPROBE).get(0).trim();
        // The kernel loads crypto on demand ("crypto-rfc7539(chacha20,poly1305)"): refuse that one, pass the rest.
        Path wrapper = Path.of("target", "modprobe-without-chacha").toAbsolutePath();
        Files.writeString(wrapper, "#!/bin/sh\ncase \"$*\" in *chacha*|*rfc7539*) exit 1 ;; esac\nexec "
                + before + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(MODPROBE, wrapper + "\n");
        modprobeBefore = before;
        run("rmmod", CHACHA_MODULE);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + output);
    }
}
