package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Load and faults in the kTLS kernel: many sequential connections, then hundreds at once
 * with random aborts. Afterwards connections, fds and threads are back at baseline, the
 * heap is bounded, and every completed download had the right SHA-256. Loopback only;
 * the loops are bounded in count (ktls.soak.sequential, ktls.soak.concurrent) and in
 * time (20 minutes).
 */
@KernelTest
@ExtendWith(ServerLogWatch.class)
class SoakKernelTest {
    /** The full counts under CI=true; a tenth of the sequential ones in local runs (about 2 min in UML). */
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));
    private static final int SEQUENTIAL = Integer.getInteger("ktls.soak.sequential", CI ? 10_000 : 1_000);
    private static final int CONCURRENT = Integer.getInteger("ktls.soak.concurrent", CI ? 500 : 100);
    private static final int FILE = 256 * 1024;

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** One request on a new connection; returns the body, or null if this client chose to abort. */
    private static byte[] fetch(SSLSocketFactory factory, int port, String path, boolean abort) throws Exception {
        try (SSLSocket socket = (SSLSocket) factory.createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            if (abort) {
                in.readNBytes(1000);
                socket.setSoLinger(true, 0); // a reset in the middle of the body
                return null;
            }
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), () -> text.substring(0, Math.min(200, text.length())));
            return java.util.Arrays.copyOfRange(all, bodyStart, all.length);
        }
    }

    @Test
    void sequentialAndConcurrentConnectionsLeaveNothingBehind() throws Exception {
        Path root = Files.createTempDirectory("ktls-soak-");
        byte[] content = new byte[FILE];
        new Random(9).nextBytes(content);
        Files.write(root.resolve("file.bin"), content);
        Files.writeString(root.resolve("small.txt"), "ok\n");
        String expected = sha256(content);
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.REQUIRED)
                .withMaxConnections(CONCURRENT + 10));
        SSLSocketFactory factory = TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory();
        int port = server.port();
        try {
            fetch(factory, port, "/small.txt", false); // warm up
            Thread.sleep(500);
            long fds = openFds();
            int threads = Thread.activeCount();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);

            for (int i = 0; i < SEQUENTIAL; i++) {
                assertTrue(System.nanoTime() < deadline, "the soak ran out of time after " + i + " connections");
                byte[] body = fetch(factory, port, i % 100 == 0 ? "/file.bin" : "/small.txt", false);
                if (i % 100 == 0) {
                    assertEquals(expected, sha256(body), "download " + i);
                } else {
                    assertEquals("ok\n", new String(body, StandardCharsets.US_ASCII));
                }
            }

            Random random = new Random(17);
            AtomicInteger completed = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CONCURRENT);
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                boolean abort = random.nextInt(4) == 0;
                results.add(clients.submit(() -> {
                    byte[] body = fetch(factory, port, "/file.bin", abort);
                    if (body != null) {
                        assertEquals(expected, sha256(body));
                        completed.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get(10, TimeUnit.MINUTES);
            }
            clients.shutdown();
            assertTrue(completed.get() > CONCURRENT / 2, "completed " + completed.get());

            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((server.metrics().activeConnections.sum() > 0 || Thread.activeCount() > threads + 2)
                    && System.nanoTime() < settle) {
                Thread.sleep(100);
            }
            assertEquals(0, server.metrics().activeConnections.sum(), "connections left open");
            assertTrue(openFds() <= fds + 2, "fds " + fds + " -> " + openFds());
            assertTrue(Thread.activeCount() <= threads + 2, "threads " + threads + " -> " + Thread.activeCount());
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            assertTrue(heap < 256L << 20, "heap after the soak: " + (heap >> 20) + " MiB");
            assertEquals(0, server.metrics().userSpaceConnections.sum(), "every connection used kernel TLS");
        } finally {
            server.stop(Duration.ofSeconds(5));
        }
    }
}
