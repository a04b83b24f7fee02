package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;
import java.net.Socket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that stop reading, trickle a request head, or read slowly hold no
 * thread: a response that finds the client's window full waits in epoll for room
 * (EPOLLOUT), and a head that is not all there waits for the rest, each until its
 * deadline. With two event loops and forty such clients a newcomer is served at once;
 * with blocking writes and reads it waited for their timeouts. Subclasses run it with user-space
 * records and with the kernel's (sendfile(2) that finds no room).
 */
abstract class SlowClientsSuite {
    private static final int SLOW = 40;

    abstract KtlsMode mode();

    @TempDir
    Path root;

    private HttpsServer start(Duration idle) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        byte[] big = new byte[16 << 20];
        new Random(7).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        return HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), mode()).withLoops(2)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60), idle));
    }

    private static void await(LongSupplier value, long expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (value.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, value.getAsLong(), what);
    }

    /** A newcomer, whose reads time out after 30 s (BcTestClient): half the other timeouts. */
    private static void newcomerIsServed(HttpsServer server) throws Exception {
        try (BcTestClient client = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM)) {
            client.output().write("GET /ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.endsWith("still up\n"), response);
        }
    }

    private static void closeAll(List<BcTestClient> clients) {
        for (BcTestClient c : clients) {
            try {
                c.close();
            } catch (IOException ignored) {
                // the test is over
            }
        }
    }

    @Test
    void clientsThatStopReadingHoldNoThread() throws Exception {
        HttpsServer server = start(Duration.ofSeconds(60));
        List<BcTestClient> stalled = new ArrayList<>();
        int threadsBefore = jvmThreads();
        try {
            for (int i = 0; i < SLOW; i++) {
                BcTestClient c = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM);
                stalled.add(c);
                c.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            await(() -> server.metrics().writeWaits.sum(), SLOW, "downloads nobody reads wait in epoll for room");
            assertEquals(SLOW, server.metrics().activeConnections.sum());
            assertTrue(jvmThreads() < threadsBefore + 5, jvmThreads() + " threads, " + threadsBefore + " before");
            assertTrue(server.threads().stream().allMatch(Thread::isAlive) && server.threads().size() == 2);
            newcomerIsServed(server);
        } finally {
            closeAll(stalled);
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void trickledRequestHeadsHoldNoThread() throws Exception {
        HttpsServer server = start(Duration.ofSeconds(60));
        List<BcTestClient> trickling = new ArrayList<>();
        int threadsBefore = jvmThreads();
        try {
            for (int i = 0; i < SLOW; i++) {
                BcTestClient c = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM);
                trickling.add(c);
                c.output().write("GET /ok.txt HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            }
            await(() -> server.metrics().idleConnections.sum(), SLOW, "half-sent heads wait in epoll for the rest");
            assertTrue(jvmThreads() < threadsBefore + 5, jvmThreads() + " threads, " + threadsBefore + " before");
            newcomerIsServed(server);
            // The rest of each head comes, and each is answered.
            for (BcTestClient c : trickling) {
                c.output().write("st: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            for (BcTestClient c : trickling) {
                String response = new String(c.input().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.endsWith("still up\n"), response);
            }
        } finally {
            closeAll(trickling);
            server.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * A client that reads a little at a time gets the whole file, byte for byte, while a
     * newcomer is served: the response resumes where the window filled, each time.
     */
    @Test
    void aSlowReaderGetsEveryByteWhileOthersAreServed() throws Exception {
        HttpsServer server = start(Duration.ofSeconds(60));
        try (BcTestClient slow = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM)) {
            slow.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = slow.input();
            byte[] head = readHead(in);
            assertTrue(new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK"));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[256 << 10];
            long got = 0;
            boolean others = false;
            int n;
            while ((n = in.read(chunk)) >= 0) {
                sha.update(chunk, 0, n);
                got += n;
                if (!others && got > (2 << 20)) {
                    // The reader pauses: the window fills, and the response waits in epoll for room.
                    await(() -> server.metrics().writeWaits.sum(), 1, "the download waits for room");
                    newcomerIsServed(server); // in the middle of the slow download
                    others = true;
                }
                Thread.sleep(5);
            }
            assertEquals(16 << 20, got);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(root.resolve("big.bin"))),
                    sha.digest());
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * A client whose TCP socket is read one byte per read(2), with a 4 KiB receive buffer,
     * gets a 256 KiB file whole (SHA-256), and meanwhile newcomers are served, each within
     * a second. (How much of the file waits in the server's send buffer is the kernel's
     * choice; {@link #aSlowReaderGetsEveryByteWhileOthersAreServed} is the one whose
     * response certainly waits for room, with its checksum.)
     */
    @Test
    void aClientTakingOneByteAtATimeGetsEveryByteWhileOthersAreServed() throws Exception {
        HttpsServer server = start(Duration.ofSeconds(60));
        byte[] quarter = java.util.Arrays.copyOf(Files.readAllBytes(root.resolve("big.bin")), 256 << 10);
        Files.write(root.resolve("quarter.bin"), quarter);
        try (Socket raw = new OneByteAtATimeSocket()) {
            raw.setReceiveBufferSize(4096);
            raw.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), server.port()),
                    10_000);
            raw.setSoTimeout(30_000);
            try (SSLSocket tls = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                    .createSocket(raw, "localhost", server.port(), true)) {
                tls.getOutputStream().write("GET /quarter.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = tls.getInputStream();
                assertTrue(new String(readHead(in), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK"));
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] chunk = new byte[4096];
                long got = 0;
                int newcomers = 0;
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    sha.update(chunk, 0, n);
                    got += n;
                    if (newcomers < 5 && got > (newcomers + 1) * (32 << 10)) {
                        long start = System.nanoTime();
                        newcomerIsServed(server);
                        long millis = (System.nanoTime() - start) / 1_000_000;
                        assertTrue(millis < 1000, "a newcomer took " + millis + " ms");
                        newcomers++;
                    }
                }
                assertEquals(quarter.length, got);
                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(quarter), sha.digest());
                assertEquals(5, newcomers);
            }
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /** A TCP socket whose reads take one byte at a time (the TLS client above reads through it). */
    private static final class OneByteAtATimeSocket extends Socket {
        @Override
        public InputStream getInputStream() throws IOException {
            InputStream in = super.getInputStream();
            return new java.io.FilterInputStream(in) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return super.read(b, off, Math.min(len, 1));
                }
            };
        }
    }

    /** A client that takes no byte for the idle timeout (nginx's send_timeout) is closed: its slot comes back. */
    @Test
    void aClientThatTakesNothingIsClosedAfterTheSendTimeout() throws Exception {
        HttpsServer server = start(Duration.ofSeconds(2));
        try (BcTestClient stalled = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM)) {
            stalled.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            await(() -> server.metrics().writeWaits.sum(), 1, "the download waits in epoll for room");
            await(() -> server.metrics().activeConnections.sum(), 0, "closed after the send timeout");
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /**
     * Threads of this JVM (the test's clients make none): a server that made one per
     * connection, or per waiting connection, would have forty more.
     */
    private static int jvmThreads() {
        return Thread.getAllStackTraces().size();
    }

    private static byte[] readHead(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("end of stream in the head: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toByteArray();
    }
}
