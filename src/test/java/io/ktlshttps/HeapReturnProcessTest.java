package io.ktlshttps;

import io.ktlshttps.testing.ServerProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --return-heap-after gives back what a burst grew. The server runs as its own process
 * with a small starting heap; clients hold enough connections to grow it, then all leave.
 * Right after, the heap is still committed (nothing collects an idle JVM by itself); within
 * the quiet time and a margin it must have shrunk by a fifth at least (measured: 40 to 70 %),
 * through a collection.
 * (With --return-heap-after off, it stays where it was: 0 % on both collectors.)
 */
class HeapReturnProcessTest {
    private static final int CONNECTIONS = 1500;
    private static final Pattern COMMITTED = Pattern.compile("ktls_https_jvm_heap_bytes\\{state=\"committed\"} (\\d+)");
    private static final Pattern COLLECTIONS = Pattern.compile("ktls_https_jvm_gc_collections_total\\{[^}]*} (\\d+)");

    @ParameterizedTest
    @ValueSource(strings = {"-XX:+UseSerialGC", "-XX:+UseG1GC"})
    void heapGrownByABurstGoesBackOnceQuiet(String collector, @TempDir Path root) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        ServerProcess server = ServerProcess.start(List.of("-Xms8m", "-Xmx512m", collector), List.of(
                "--bind", "127.0.0.1", "--port", "0", "--root", root.toString(), "--ktls=off",
                "--access-log", "off", "--idle-timeout", "10m", "--return-heap-after", "3s"));
        List<String> output = server.output();
        List<Socket> clients = Collections.synchronizedList(new ArrayList<>());
        try {
            int port = server.awaitPort();
            SSLContext tls = ServerProcess.trustingEverything();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> opened = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                opened.add(pool.submit(() -> clients.add(fetch(tls, port))));
            }
            for (Future<?> f : opened) {
                f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long held = committed(tls, port);
            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            Thread.sleep(1000); // the server sees the closes; less than the quiet time
            String afterClose = status(tls, port);
            long before = number(COMMITTED, afterClose);
            long collectionsBefore = collections(afterClose);
            assertTrue(output.stream().anyMatch(l -> l.contains("heap: ") && l.contains("3 s without work")),
                    "the banner says how the heap goes back:\n" + server.tail());
            long after = before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline && after * 5 > before * 4) {
                Thread.sleep(2000); // one status read (a handshake and a request) every 2 s: a trickle
                after = committed(tls, port);
            }
            System.out.printf("%s: committed heap %d KiB holding %d connections, %d KiB after they left, %d KiB"
                    + " once quiet%n", collector, held >> 10, CONNECTIONS, before >> 10, after >> 10);
            assertTrue(before >= 24 << 20, "the burst grew the heap to " + (before >> 10) + " KiB");
            assertTrue(after * 5 <= before * 4, "committed heap once quiet: " + (after >> 10) + " KiB, before: "
                    + (before >> 10) + " KiB\n" + server.tail());
            assertTrue(collections(status(tls, port)) > collectionsBefore, "a collection ran");
            assertEquals(List.of(), server.loudLines(), "the server logged at WARN or above");
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            server.process().destroy();
            server.process().waitFor(10, TimeUnit.SECONDS);
            server.process().destroyForcibly();
        }
    }

    private static long committed(SSLContext tls, int port) throws IOException {
        return number(COMMITTED, status(tls, port));
    }

    private static long collections(String status) {
        Matcher m = COLLECTIONS.matcher(status);
        long sum = 0;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    private static long number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        assertTrue(m.find(), p + " in:\n" + text);
        return Long.parseLong(m.group(1));
    }

    private static String status(SSLContext tls, int port) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            plain.setSoTimeout(30_000);
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            s.getOutputStream().write("GET /server-status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.1 200 ")) {
                throw new IOException("unexpected response: " + response);
            }
            return response;
        }
    }

    /** One TLS connection with one keep-alive request answered; the socket stays open. */
    private static Socket fetch(SSLContext tls, int port) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            plain.setSoTimeout(30_000);
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            s.getOutputStream().write("GET /ok.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = readUntil(s.getInputStream(), "still up\n");
            if (!response.startsWith("HTTP/1.1 200 ")) {
                throw new IOException("unexpected response: " + response);
            }
            return s;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of stream after: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

}
