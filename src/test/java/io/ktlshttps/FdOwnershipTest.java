package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections closed from outside while they transfer: the server stops with downloads
 * in the middle of their responses (waiting in the poller for room, the clients read
 * nothing), and its grace period ends under them. Only a connection's owner may close its
 * fd; stop() may only shut it down (shutdown(2)), which wakes the owner (in the poller:
 * a hang-up; on a worker: its next send fails), and the owner closes. Were the fd closed
 * under it instead, its next send would go to whatever took the number next: here,
 * sockets this test opens right after, whose peers must then stay silent. The symptom of
 * a send into a closed fd would also be EBADF or EPIPE in the server's log: the log watch
 * fails the test on any WARN or ERROR but the one stop() gives for cutting the downloads.
 * Here with user-space records; {@code FdOwnershipKernelTest} runs the same with the
 * kernel's records, the downloads sent by sendfile(2).
 */
@ExtendWith(ServerLogWatch.class)
class FdOwnershipTest {
    private static final int DOWNLOADS = 4;
    private static final int BYSTANDERS = 64;

    @Test
    void stopNeverLetsATransferWriteIntoAReusedFd(@TempDir Path root) throws Exception {
        stopNeverLetsATransferWriteIntoAReusedFd(root, KtlsMode.OFF);
    }

    static void stopNeverLetsATransferWriteIntoAReusedFd(Path root, KtlsMode mode) throws Exception {
        ServerLogWatch.expectWarning(DOWNLOADS + " connection(s) still busy after the grace period (200 ms)");
        byte[] big = new byte[32 << 20];
        Files.write(root.resolve("big.bin"), big);
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), mode)
                .withShutdownGrace(Duration.ofMillis(200)));
        ExecutorService pool = Executors.newCachedThreadPool();
        List<BcTestClient> clients = new ArrayList<>();
        List<Socket> bystanders = new ArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, BYSTANDERS, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < DOWNLOADS; i++) {
                BcTestClient c = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM);
                c.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                clients.add(c);
            }
            awaitStalledSends(server);

            // Stop with every download in the middle of its response (the clients read
            // nothing): the grace period ends with them busy. close(2) would neither wake
            // their owner nor take the fd out of epoll; shutdown(2) wakes it.
            long start = System.nanoTime();
            Future<?> stopping = pool.submit(() -> server.stop(Duration.ofMillis(200)));
            stopping.get(20, TimeUnit.SECONDS);
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(stopMillis < 3000, "stop took " + stopMillis + " ms with a 200 ms grace period: the"
                    + " transfers it cut were still blocked in send");
            assertEquals(0, server.metrics().activeConnections.sum(), "connections left open after stop");
            if (mode == KtlsMode.REQUIRED) { // the body by sendfile(2): ChannelConnection.transferFrom
                assertEquals(DOWNLOADS, server.metrics().kernelConnections.sum(), "downloads on the kernel path");
            } else {
                assertEquals(DOWNLOADS, server.metrics().userSpaceConnections.sum(), "downloads in user space");
            }
            // The freed fd numbers go to the lowest free slots: these sockets take them.
            for (int i = 0; i < BYSTANDERS; i++) {
                Socket out = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
                bystanders.add(out);
                bystanders.add(listener.accept());
            }
            // Now let the downloads move: a thread still sending on a closed fd number
            // would send its next bytes into a bystander.
            List<CompletableFuture<Long>> drained = new ArrayList<>();
            for (BcTestClient c : clients) {
                drained.add(CompletableFuture.supplyAsync(() -> drain(c.input()), pool));
            }
            for (CompletableFuture<Long> d : drained) {
                long got = d.get(20, TimeUnit.SECONDS); // each download must end, not hang
                assertTrue(got < big.length, "a download finished although the server stopped under it");
            }
            Thread.sleep(300);
            for (Socket s : bystanders) {
                assertEquals(0, s.getInputStream().available(),
                        "bytes arrived on a socket the server never had: a transfer wrote into a reused fd");
            }
        } finally {
            for (BcTestClient c : clients) {
                c.close();
            }
            for (Socket s : bystanders) {
                s.close();
            }
            pool.shutdownNow();
        }
    }

    /**
     * Waits until the server's sends have stopped moving: every download found the client's
     * window full and waits in epoll for room. Bytes are counted
     * as each send or sendfile(2) returns, in either mode.
     */
    private static void awaitStalledSends(HttpsServer server) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 100; i++) {
            Thread.sleep(100);
            long now = server.metrics().bytesUserSpace.sum() + server.metrics().bytesSendfile.sum()
                    + server.metrics().bytesKernelWrite.sum();
            if (now == last && now > 0 && server.metrics().activeConnections.sum() == DOWNLOADS
                    && server.metrics().writeWaits.sum() == DOWNLOADS) {
                return;
            }
            last = now;
        }
        throw new AssertionError("the downloads never stalled");
    }

    /** Reads to the end of the stream, or to the first error (a cut connection); returns the bytes read. */
    private static long drain(InputStream in) {
        byte[] buffer = new byte[65536];
        long total = 0;
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
            }
        } catch (IOException e) {
            // Cut by the server: what this test expects.
        }
        return total;
    }
}
