package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.server.Version;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.OpensslClient;
import io.ktlshttps.testing.ServerLogWatch;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import io.ktlshttps.tls.ServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server end to end, with real clients: the JDK's HttpClient, curl, wget, openssl
 * s_client and BouncyCastle's raw client. Subclasses pick the record layer: user space on
 * any host, kernel TLS on a kTLS kernel. The same assertions hold for both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ServerLogWatch.class)
abstract class EndToEndSuite {
    /** Over 1 MiB and not a multiple of 16 KiB. */
    static final int BIG = 2 * 1024 * 1024 + 12_345;

    Path root;
    Path certPem;
    HttpsServer server;
    int port;
    String bigSha256;
    HttpClient http;

    abstract KtlsMode mode();

    /** The interop outcome of a 2 MiB download here: the suite checks the record layer at its end. */
    String layer() {
        return mode() == KtlsMode.OFF ? "ok, user space" : "ok, kernel";
    }

    /** The harness name in the interop matrix, as RealClientsSuite names it. */
    String harness() {
        return mode() == KtlsMode.OFF ? "host, --ktls=off"
                : "Linux " + io.ktlshttps.net.KernelTls.kernelRelease() + ", --ktls=" + mode().name().toLowerCase(
                        java.util.Locale.ROOT);
    }

    ServerConfig config(Path www, ServerCredentials credentials) {
        return ServerConfig.forTest(www, credentials, mode());
    }

    @BeforeAll
    void start() throws Exception {
        root = Files.createTempDirectory("ktls-e2e-");
        byte[] big = new byte[BIG];
        new Random(42).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        bigSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
        Files.writeString(root.resolve("small.txt"), "small file\n");
        Files.createDirectories(root.resolve("site"));
        Files.writeString(root.resolve("site/index.html"), "<h1>index</h1>\n");
        certPem = root.resolve(".cert.pem"); // a dotfile: never served
        TestCredentials.writeCertificatePem(certPem);
        server = HttpsServer.start(config(root, TestCredentials.ec()));
        port = server.port();
        http = HttpClient.newBuilder().sslContext(TestCredentials.trustingContext(TestCredentials.ec()))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(5));
        }
    }

    static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /**
     * What every server of this suite must have done, checked on the tests' own extra
     * servers as on the shared one: the kernel suite requires that no connection fell back.
     */
    void checkServer(HttpsServer s) {
    }

    URI uri(String path) {
        return URI.create("https://localhost:" + port + path);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Runs a command, returns stdout; fails with its stderr on a non-zero exit. */
    static byte[] run(List<String> command) throws Exception {
        return RealClientsSuite.run(command, "");
    }

    @Test
    void jdkHttpClientDownloadsAndReusesTheConnection() throws Exception {
        long connectionsBefore = server.metrics().kernelConnections.sum() + server.metrics().userSpaceConnections.sum();
        HttpResponse<byte[]> big = http.send(HttpRequest.newBuilder(uri("/big.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, big.statusCode());
        assertEquals(bigSha256, sha256(big.body()));
        assertEquals("application/octet-stream", big.headers().firstValue("Content-Type").orElse(""));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> small = http.send(HttpRequest.newBuilder(uri("/small.txt")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("small file\n", small.body());
            assertTrue(small.headers().firstValue("Date").isPresent());
            assertTrue(small.headers().firstValue("Server").orElse("").startsWith("ktls-https/"));
        }
        long connectionsAfter = server.metrics().kernelConnections.sum() + server.metrics().userSpaceConnections.sum();
        assertEquals(1, connectionsAfter - connectionsBefore, "four requests on one kept-alive connection");
        io.ktlshttps.testing.Interop.record(harness(), "JDK HttpClient", "keep-alive, 4 requests", "negotiated",
                layer());
    }

    @Test
    void rangesAndConditionalRequests() throws Exception {
        HttpResponse<byte[]> part = http.send(HttpRequest.newBuilder(uri("/big.bin")).header("Range", "bytes=100-199")
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, part.statusCode());
        assertEquals("bytes 100-199/" + BIG, part.headers().firstValue("Content-Range").orElse(""));
        byte[] whole = Files.readAllBytes(root.resolve("big.bin"));
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, 100, 200), part.body());
        HttpResponse<byte[]> tail = http.send(HttpRequest.newBuilder(uri("/big.bin")).header("Range", "bytes=-10")
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, BIG - 10, BIG), tail.body());
        assertEquals(416, http.send(HttpRequest.newBuilder(uri("/small.txt")).header("Range", "bytes=999-").build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        String etag = part.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> notModified = http.send(HttpRequest.newBuilder(uri("/big.bin"))
                .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(304, notModified.statusCode());
        assertEquals(0, notModified.body().length);
        String lastModified = part.headers().firstValue("Last-Modified").orElseThrow();
        assertEquals(304, http.send(HttpRequest.newBuilder(uri("/big.bin")).header("If-Modified-Since", lastModified)
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    void errorsCarryTheRightStatus() throws Exception {
        assertEquals(404, http.send(HttpRequest.newBuilder(uri("/missing")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(404, http.send(HttpRequest.newBuilder(uri("/.cert.pem")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        HttpResponse<Void> post = http.send(HttpRequest.newBuilder(uri("/small.txt"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(uri("/big.bin"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(String.valueOf(BIG), head.headers().firstValue("Content-Length").orElse(""));
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(uri("/site/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("<h1>index</h1>\n", index.body());
    }

    /** Writes raw bytes over a TLS connection and reads until the server closes. */
    String raw(String request) throws Exception {
        return raw(port, request);
    }

    static String raw(int port, String request) throws Exception {
        try (BcTestClient client = BcTestClient.connect(port, TestSuites.TLS13_AES_128_GCM)) {
            client.output().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(readToClose(client.input()), StandardCharsets.ISO_8859_1);
        }
    }

    static byte[] readToClose(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (org.bouncycastle.tls.TlsNoCloseNotifyException e) {
            String seen = out.toString(StandardCharsets.ISO_8859_1);
            throw new AssertionError("server closed without close_notify after " + out.size() + " bytes: "
                    + seen.substring(0, Math.min(300, seen.length())), e);
        }
        return out.toByteArray();
    }

    @Test
    void pipelinedRequestsAnsweredInOrderThenCloseNotify() throws Exception {
        String response = raw("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        int first = response.indexOf("HTTP/1.1 200 OK");
        int second = response.indexOf("HTTP/1.1 200 OK", first + 1);
        int third = response.indexOf("HTTP/1.1 404 Not Found");
        assertTrue(first == 0 && second > first && third > second, response);
        assertTrue(response.contains("small file\n"));
        assertTrue(response.contains("Connection: close"));
    }

    /**
     * A pipelined burst that arrives in pieces cut anywhere (mid request line, mid header,
     * between a head's CR and LF), each piece its own record and segment, 30 ms apart:
     * the connection waits for the rest each time and answers every request, in order.
     */
    @Test
    void aPipelinedBurstSplitAcrossReadsIsAnsweredInOrder() throws Exception {
        String burst = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        int[] cuts = {9, 30, 36, 37, 75, 80, 120, 121, 150, burst.length()};
        try (BcTestClient client = BcTestClient.connect(port, TestSuites.TLS13_AES_128_GCM)) {
            int from = 0;
            for (int cut : cuts) {
                client.output().write(burst.substring(from, cut).getBytes(StandardCharsets.ISO_8859_1));
                client.output().flush();
                from = cut;
                Thread.sleep(30);
            }
            String response = new String(readToClose(client.input()), StandardCharsets.ISO_8859_1);
            int first = response.indexOf("HTTP/1.1 200 OK");
            int second = response.indexOf("HTTP/1.1 200 OK", first + 1);
            int third = response.indexOf("HTTP/1.1 404 Not Found", second + 1);
            int fourth = response.indexOf("HTTP/1.1 200 OK", third + 1);
            assertTrue(first == 0 && second > first && third > second && fourth > third, response);
            assertTrue(response.endsWith("small file\n") && response.indexOf("small file\n") < second, response);
        }
    }

    /**
     * A client that half-closes (a bare TCP FIN, no close_notify) while its response is on
     * the way still gets all of it, then the server's close_notify: readToClose fails on a
     * close without one. The FIN goes out once the response has begun, so the record layer
     * (kernel or user space) is already chosen; a FIN before that is HostileClientsTest's.
     */
    @ParameterizedTest
    @EnumSource(value = TestSuites.class, names = {"TLS12_AES_128_GCM", "TLS13_AES_256_GCM"})
    void aHalfClosedClientGetsItsResponseThenCloseNotify(TestSuites suite) throws Exception {
        try (BcTestClient client = BcTestClient.connect(port, suite)) {
            client.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] status = client.input().readNBytes(17);
            assertEquals("HTTP/1.1 200 OK\r\n", new String(status, StandardCharsets.US_ASCII));
            client.shutdownOutput();
            byte[] rest = readToClose(client.input());
            String text = new String(rest, StandardCharsets.ISO_8859_1);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            assertTrue(bodyStart > 4, "no end of headers");
            assertEquals(bigSha256, sha256(java.util.Arrays.copyOfRange(rest, bodyStart, rest.length)));
        }
    }

    @Test
    void http10ClosesAfterOneResponse() throws Exception {
        String response = raw("GET /small.txt HTTP/1.0\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.0 200 OK\r\n"), response);
        assertTrue(response.endsWith("small file\n"), response);
    }

    @Test
    void malformedRequestsGet400And505() throws Exception {
        assertTrue(raw("GET / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 400 "));
        assertTrue(raw("GET / HTTP/2.0\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 505 "));
        assertTrue(raw("GET /../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 400 "));
    }

    @Test
    void headerTimeoutAnswers408() throws Exception {
        HttpsServer slow = HttpsServer.start(config(root, TestCredentials.ec())
                .withTimeouts(Duration.ofSeconds(10), Duration.ofMillis(700), Duration.ofSeconds(10)));
        try (BcTestClient client = BcTestClient.connect(slow.port(), TestSuites.TLS12_AES_128_GCM)) {
            client.output().write("GET /small.txt HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            String response = new String(readToClose(client.input()), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 408 Request Timeout"), response);
        } finally {
            slow.stop(Duration.ofSeconds(2));
        }
        checkServer(slow);
    }

    /**
     * A head that trickles in faster than the server's brief wait (a byte every 2 ms) never
     * sends the connection to wait in the poller, where deadlines are looked at: it must
     * still get its 408 at the header timeout, not hold a worker for as long as it trickles.
     */
    @Test
    void aQuickTrickleStillGets408AtTheHeaderTimeout() throws Exception {
        HttpsServer slow = HttpsServer.start(config(root, TestCredentials.ec())
                .withTimeouts(Duration.ofSeconds(10), Duration.ofMillis(700), Duration.ofSeconds(10)));
        try (BcTestClient client = BcTestClient.connect(slow.port(), TestSuites.TLS13_AES_128_GCM)) {
            java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
            Thread trickle = new Thread(() -> {
                try {
                    client.output().write("GET /small.txt HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 5000 && !answered.get(); i++) { // 10 s at most
                        client.output().write('a');
                        client.output().flush();
                        Thread.sleep(2);
                    }
                } catch (IOException | InterruptedException e) {
                    // the server answered and closed: the trickle is over
                }
            });
            trickle.start();
            long start = System.nanoTime();
            String response;
            try {
                response = new String(readToClose(client.input()), StandardCharsets.US_ASCII);
            } finally {
                answered.set(true);
                trickle.join(15_000);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(response.startsWith("HTTP/1.1 408 Request Timeout"), response);
            assertTrue(millis < 5000, "the 408 came after " + millis + " ms, with a 700 ms header timeout");
        } finally {
            slow.stop(Duration.ofSeconds(2));
        }
        checkServer(slow);
    }

    /**
     * A connection that finishes its handshake and then sends nothing (a browser's
     * preconnect, or someone holding threads on purpose) waits in its loop's epoll set:
     * with several such connections open on a server of one loop, another client is still
     * served at once, and each idle one is served when its request comes.
     */
    @Test
    void connectionsIdleAfterTheirHandshakeHoldNoWorker() throws Exception {
        HttpsServer s = HttpsServer.start(config(root, TestCredentials.ec()).withLoops(1)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30)));
        List<BcTestClient> idle = new ArrayList<>();
        try {
            for (TestSuites suite : new TestSuites[] {TestSuites.TLS13_AES_128_GCM, TestSuites.TLS12_AES_128_GCM,
                    TestSuites.TLS13_AES_128_GCM, TestSuites.TLS12_AES_128_GCM}) {
                idle.add(BcTestClient.connect(s.port(), suite)); // handshake done, no request
            }
            Thread.sleep(300); // each has had its chance to hold the loop
            long start = System.nanoTime();
            try (BcTestClient client = BcTestClient.connect(s.port(), TestSuites.TLS13_AES_128_GCM)) {
                client.output().write("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(readToClose(client.input()), StandardCharsets.ISO_8859_1);
                assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.endsWith("small file\n"), response);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 3000, "another client waited " + millis + " ms for a worker");
            for (BcTestClient c : idle) { // and the idle ones are served when they ask
                c.output().write("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(readToClose(c.input()), StandardCharsets.ISO_8859_1);
                assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.endsWith("small file\n"), response);
            }
        } finally {
            for (BcTestClient c : idle) {
                c.close();
            }
            s.stop(Duration.ofSeconds(2));
        }
        checkServer(s);
    }

    /**
     * A response is not held to what was left of the wait for its request: a client that
     * asks near the end of the idle timeout and then takes no byte for a while (a paused
     * download, a full receive buffer) gets the whole body once it reads again. The send
     * gives up only when no byte leaves for a whole idle timeout.
     */
    @Test
    void aDownloadRequestedLateInTheIdleTimeoutSurvivesAPauseInReading() throws Exception {
        byte[] large = new byte[24 * 1024 * 1024 + 77]; // more than loopback's socket buffers hold
        new Random(7).nextBytes(large);
        Path file = Files.write(root.resolve("pause.bin"), large);
        HttpsServer s = HttpsServer.start(config(root, TestCredentials.ec())
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(4000)));
        try (java.net.Socket tcp = new java.net.Socket()) {
            tcp.setReceiveBufferSize(16 * 1024); // a small, fixed window: the server's sends block soon
            tcp.connect(new java.net.InetSocketAddress("127.0.0.1", s.port()));
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) io.ktlshttps.testing.ServerProcess.trustingEverything()
                    .getSocketFactory().createSocket(tcp, "127.0.0.1", s.port(), true);
            tls.startHandshake();
            // One request first, so that the next one is read by a fresh turn of the connection.
            tls.getOutputStream().write("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            StringBuilder first = new StringBuilder();
            while (!first.toString().endsWith("\r\n\r\nsmall file\n")) {
                int b = tls.getInputStream().read();
                assertTrue(b >= 0, "the first response ended early: " + first);
                first.append((char) b);
            }
            Thread.sleep(3700); // 0.3 s of the idle timeout left when the next request comes
            tls.getOutputStream().write("GET /pause.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            Thread.sleep(2500); // reads nothing: the server's sends stall far longer than 0.3 s, less than 4
            tls.setSoTimeout(30_000);
            byte[] all = tls.getInputStream().readAllBytes();
            String head = new String(all, 0, Math.min(all.length, 2000), StandardCharsets.ISO_8859_1);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.contains("\r\n\r\n"), head);
            int body = head.indexOf("\r\n\r\n") + 4;
            assertEquals(large.length, all.length - body, "the body arrived whole");
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(large),
                    MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOfRange(all, body, all.length)));
        } finally {
            s.stop(Duration.ofSeconds(2));
            Files.deleteIfExists(file);
        }
        checkServer(s);
    }

    /**
     * A connection parked by its worker (no request within the brief wait) is served again
     * from the poller, and its idle timeout ends it with close_notify, on time give or take
     * the poller's one-second look at the deadlines.
     */
    @Test
    void parkedConnectionIsServedAgainAndEndsOnItsIdleTimeout() throws Exception {
        HttpsServer quick = HttpsServer.start(config(root, TestCredentials.ec())
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(300)));
        try (BcTestClient client = BcTestClient.connect(quick.port(), TestSuites.TLS13_AES_128_GCM)) {
            byte[] request = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 2; i++) {
                client.output().write(request);
                StringBuilder response = new StringBuilder();
                while (!response.toString().endsWith("\r\n\r\nsmall file\n")) { // the whole response, no more
                    int b = client.input().read();
                    assertTrue(b >= 0, "request " + (i + 1) + ": the response ended early: " + response);
                    response.append((char) b);
                }
                assertTrue(response.toString().startsWith("HTTP/1.1 200 OK"), response.toString());
                Thread.sleep(100); // the loop has seen the response out and armed the socket
                assertEquals(1, quick.metrics().idleConnections.sum(), "waiting in epoll for the next request");
            }
            long start = System.nanoTime();
            String rest = new String(readToClose(client.input()), StandardCharsets.US_ASCII); // close_notify
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals("", rest, "nothing after the second response but close_notify");
            assertTrue(millis < 1500, "a 300 ms idle timeout (of which 100 ms had passed) ended it after " + millis
                    + " more ms");
        } finally {
            quick.stop(Duration.ofSeconds(2));
        }
        checkServer(quick);
    }

    @Test
    void stopClosesIdleConnectionsWithCloseNotify() throws Exception {
        HttpsServer other = HttpsServer.start(config(root, TestCredentials.ec()));
        try (BcTestClient client = BcTestClient.connect(other.port(), TestSuites.TLS13_CHACHA20_POLY1305)) {
            client.output().write("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] head = client.input().readNBytes(15);
            assertEquals("HTTP/1.1 200 OK", new String(head, StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            other.stop(Duration.ofSeconds(5));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "an idle connection held up stop");
            String rest = new String(readToClose(client.input()), StandardCharsets.US_ASCII); // close_notify, not a cut
            assertTrue(rest.endsWith("small file\n"), rest);
        }
        checkServer(other);
    }

    /** With max-connections 1 a second client waits in the backlog, and is served once the first leaves. */
    @Test
    void maxConnectionsQueuesTheNextClient() throws Exception {
        HttpsServer one = HttpsServer.start(config(root, TestCredentials.ec()).withMaxConnections(1));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            BcTestClient first = BcTestClient.connect(one.port(), TestSuites.TLS13_AES_128_GCM);
            java.util.concurrent.Future<String> second = pool.submit(() -> {
                try (BcTestClient c = BcTestClient.connect(one.port(), TestSuites.TLS13_AES_128_GCM)) {
                    c.output().write("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    return new String(readToClose(c.input()), StandardCharsets.US_ASCII);
                }
            });
            Thread.sleep(700);
            assertTrue(!second.isDone(), "the second client was served while the first held the only slot");
            first.close();
            assertTrue(second.get(20, TimeUnit.SECONDS).endsWith("small file\n"));
        } finally {
            pool.shutdownNow();
            one.stop(Duration.ofSeconds(2));
        }
        checkServer(one);
    }

    /**
     * Lingering close: a client may still be sending when the server ends the connection
     * (after a final response, or a 413 before the body it will not read). Closing with
     * unread input makes the kernel send a reset, which can destroy the response in
     * flight; the server shuts its write side and drains first, so the client reads the
     * whole response and the close. The client writes and reads on two threads (JSSE
     * allows it), 512 KiB more than the server reads.
     */
    /**
     * A client that leaves Nagle on (Python's asyncio and ssl, many libraries) sends its
     * first request right behind its last handshake message, and its kernel holds the
     * request back until that message is acknowledged. When the client speaks last (TLS
     * 1.3, and a resumed TLS 1.2 session) the server has nothing to send that would carry
     * the ACK, so without help it leaves on the delayed-ACK timer: 40 ms or more on Linux,
     * for every new connection. The server acknowledges at once (TCP_QUICKACK) instead.
     * The fastest of five first requests must beat 20 ms: load can only slow a try, and
     * with the stall every try takes close to 40 ms (the timer starts when the Finished
     * arrives, a little before the client's clock does). (The JDK's client does not show it.)
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"TLS 1.3", "TLS 1.2 resumed"})
    void aClientWithNagleOnGetsItsFirstAnswerWithoutADelayedAckStall(String which) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("python3",
                Path.of("src/test/resources/clients/python_first_request.py").toAbsolutePath().toString(),
                "--port", Integer.toString(port)));
        if (which.endsWith("resumed")) {
            command.add("--resume");
        }
        String[] out = new String(run(command), StandardCharsets.US_ASCII).trim().split(" ");
        double fastest = Double.parseDouble(out[0]);
        if (which.endsWith("resumed")) {
            assertEquals("5", out[1], "every connection after the first resumed");
        }
        assertTrue(fastest < 20, "the fastest first request took " + fastest + " ms");
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"final response", "413"})
    void aClientStillSendingGetsTheWholeFinalResponse(String which) throws Exception {
        boolean tooLarge = which.equals("413");
        String request = tooLarge ? "GET /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"
                : "GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) TestCredentials.trustingContext(
                TestCredentials.ec()).getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.startHandshake();
            Thread writer = new Thread(() -> {
                try {
                    java.io.OutputStream out = socket.getOutputStream();
                    out.write(request.getBytes(StandardCharsets.US_ASCII));
                    byte[] more = new byte[16 * 1024];
                    for (int i = 0; i < 32; i++) {
                        out.write(more);
                    }
                } catch (IOException e) {
                    // Expected once the server has closed: the point is what the reader got.
                }
            });
            writer.start();
            byte[] response = socket.getInputStream().readAllBytes();
            writer.join(30_000);
            String text = new String(response, StandardCharsets.ISO_8859_1);
            if (tooLarge) {
                assertTrue(text.startsWith("HTTP/1.1 413 "), text);
                int length = Integer.parseInt(text.replaceAll("(?s).*\r\nContent-Length: (\\d+)\r\n.*", "$1"));
                assertEquals(length, response.length - text.indexOf("\r\n\r\n") - 4, "the whole 413 body");
            } else {
                assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text.substring(0, Math.min(200, text.length())));
                byte[] body = java.util.Arrays.copyOfRange(response, text.indexOf("\r\n\r\n") + 4, response.length);
                assertEquals(bigSha256, sha256(body), "the whole 2 MiB body");
            }
        }
    }

    @Test
    void statusPageIsServedToLoopback() throws Exception {
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(uri("/server-status")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, status.statusCode());
        assertTrue(status.body().contains("ktls_https_requests_total "), status.body());
        assertTrue(status.body().contains("ktls_https_connections_total{mode=\"kernel\"}"), status.body());
        // X25519 by OpenSSL's libcrypto (tls.NativeKeyExchange), in this kernel's userland too; this
        // request's own handshake (the JDK's client offers X25519 first) counts.
        assertTrue(status.body().contains("ktls_https_handshake_key_exchange{x25519=\"native\"} 1"), status.body());
        long agreements = Long.parseLong(status.body().replaceAll("(?s).*\nktls_https_native_x25519_total (\\d+)\n.*",
                "$1"));
        assertTrue(agreements > 0, status.body());
    }

    @ParameterizedTest
    @EnumSource(TestSuites.class)
    void curlWithEveryVersionAndCipher(TestSuites suite) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail", "--cacert", certPem.toString()));
        if (suite.version == TlsVersion.TLS_1_3) {
            command.addAll(List.of("--tlsv1.3", "--tls13-ciphers", suite.opensslName));
        } else {
            command.addAll(List.of("--tlsv1.2", "--tls-max", "1.2", "--ciphers", suite.opensslName));
        }
        command.add(uri("/big.bin").toString());
        assertEquals(bigSha256, sha256(run(command)), suite.toString());
        io.ktlshttps.testing.Interop.record(harness(), "curl", suite.opensslName, suite.version.toString()
                .replace("TLSv", "TLS "), layer());
    }

    @Test
    void curlReusesOneConnectionForTwoUrls() throws Exception {
        byte[] out = run(List.of("curl", "-sS", "--fail", "--cacert", certPem.toString(), "-w", "[%{num_connects}]",
                uri("/small.txt").toString(), uri("/small.txt").toString()));
        assertEquals("small file\n[1]small file\n[0]", new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void wgetDownloads() throws Exception {
        byte[] out = run(List.of("wget", "-q", "-O", "-", "--ca-certificate=" + certPem, uri("/big.bin").toString()));
        assertEquals(bigSha256, sha256(out));
        io.ktlshttps.testing.Interop.record(harness(), "wget", "defaults", "negotiated", layer());
    }

    @Test
    void opensslClientGetsAResponse() throws Exception {
        try (OpensslClient client = OpensslClient.connect(port, TestSuites.TLS13_AES_256_GCM, false)) {
            client.stdin().write("GET /small.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            client.stdin().flush();
            String response = new String(client.stdout().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response + client.diagnostics());
            assertTrue(response.endsWith("small file\n"), response);
        }
    }

    /**
     * Forty connections leave nothing open. On a server of its own, so that the counts are
     * exact: on the shared one, connections of earlier tests (lingering, or kept alive by
     * their clients) come and go, and one that ended would hide one leaked. The baseline is
     * taken once the warm-up connection has ended (it lingers for the client's FIN after the
     * response), or a leaked connection would hide behind it.
     */
    @Test
    void noConnectionOrFileDescriptorLeaks() throws Exception {
        HttpsServer s = HttpsServer.start(config(root, TestCredentials.ec()));
        try {
            assertEquals(0, s.metrics().activeConnections.sum(), "a new server's connections");
            assertTrue(raw(s.port(), "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .endsWith("small file\n"), "warm-up");
            awaitNoConnections(s, "the warm-up connection");
            long fds = openFds();
            List<String> before = openFdTargets();
            int threads = Thread.activeCount();
            for (int i = 0; i < 40; i++) {
                assertTrue(raw(s.port(), "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .endsWith("small file\n"), "request " + i);
            }
            awaitNoConnections(s, "40 connections");
            List<String> left = new ArrayList<>(openFdTargets());
            before.forEach(left::remove);
            left.removeIf(t -> !t.startsWith("socket:") && !t.startsWith(root.toString()));
            assertEquals(List.of(), left, "sockets or served files opened since the warm-up and still open");
            assertTrue(openFds() <= fds + 2, "fds " + fds + " -> " + openFds());
            assertTrue(Thread.activeCount() <= threads + 8, "threads " + threads + " -> " + Thread.activeCount());
        } finally {
            s.stop(Duration.ofSeconds(2));
        }
        checkServer(s);
    }

    /** Waits until the server has no connection open, with a deadline that fails. */
    private static void awaitNoConnections(HttpsServer s, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // linger is 2 s at most
        while (s.metrics().activeConnections.sum() != 0) {
            assertTrue(System.nanoTime() < deadline, what + ": still open after 10 s: "
                    + s.metrics().activeConnections.sum());
            Thread.sleep(20);
        }
    }

    /**
     * What this process's fds point to now (socket:[inode], a path, pipe:[...]): a leaked
     * connection is a socket that was not there before, whatever TCP state the kernel has
     * moved it to (after both FINs it leaves /proc/net/tcp, and its fd stays).
     */
    static List<String> openFdTargets() throws IOException {
        List<String> targets = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile (the listing's own fd, for one)
                }
            }
        }
        return targets;
    }
}
