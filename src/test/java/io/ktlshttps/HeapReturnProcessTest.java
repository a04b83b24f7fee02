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
 * through exactly the full collections the feature runs (HeapReturn: one on G1, four on
 * Serial), counted on /server-status by the collector that does full collections. With
 * --return-heap-after off, the same burst and the same wait shrink nothing and run no full
 * collection: the shrink is the feature's.
 */
class HeapReturnProcessTest {
    private static final int CONNECTIONS = 1500;
    private static final Pattern COMMITTED = Pattern.compile("ktls_https_jvm_heap_bytes\\{state=\"committed\"} (\\d+)");
    private static final Pattern ACTIVE = Pattern.compile("\nktls_https_connections_active (\\d+)\n");
    private static final String SERIAL = "-XX:+UseSerialGC";
    private static final String G1 = "-XX:+UseG1GC";
    /** The feature's quiet time here. */
    private static final long QUIET_SECONDS = 3;
    /**
     * How long the control watches a heap that must not shrink: the feature shrinks within
     * its quiet time and a second or two after the clients leave (it watches once a second),
     * so twice the quiet time and more is ample for it, and the JVM would have had as long.
     */
    private static final long CONTROL_SECONDS = 10;

    /** What one quiet spell after the burst did. */
    private record Spell(long held, long before, long after, long fullCollections, String tail) {
    }

    @ParameterizedTest
    @ValueSource(strings = {SERIAL, G1})
    void heapGrownByABurstGoesBackOnceQuiet(String collector, @TempDir Path root) throws Exception {
        int full = fullCollectionsOfTheFeature(collector);
        Spell spell = burstThenQuiet(collector, QUIET_SECONDS + "s", root, full, 20);
        System.out.printf("%s: committed heap %d KiB holding %d connections, %d KiB after they left, %d KiB"
                + " once quiet, %d full collection(s)%n", collector, spell.held() >> 10, CONNECTIONS,
                spell.before() >> 10, spell.after() >> 10, spell.fullCollections());
        assertTrue(spell.before() >= 24 << 20, "the burst grew the heap to " + (spell.before() >> 10) + " KiB");
        assertTrue(spell.after() * 5 <= spell.before() * 4, "committed heap once quiet: " + (spell.after() >> 10)
                + " KiB, before: " + (spell.before() >> 10) + " KiB\n" + spell.tail());
        assertEquals(full, spell.fullCollections(), "full collections in the quiet spell: the feature's, and no"
                + " other\n" + spell.tail());
    }

    /**
     * The control: the same burst with the feature off does not shrink the heap, and no full
     * collection runs. On G1 only: it is the default collector, and the one that could
     * shrink by itself (at the Remark of a concurrent cycle); Serial shrinks only in a full
     * collection, which an idle JVM never starts. One control run, not one per collector,
     * keeps the class's time (each run is a burst of 1,500 handshakes and a quiet spell).
     */
    @org.junit.jupiter.api.Test
    void withTheFeatureOffTheSameBurstKeepsItsHeap(@TempDir Path root) throws Exception {
        Spell spell = burstThenQuiet(G1, "off", root, Long.MAX_VALUE, CONTROL_SECONDS);
        System.out.printf("%s, --return-heap-after off: committed heap %d KiB holding %d connections, %d KiB after"
                + " they left, %d KiB %d s later, %d full collection(s)%n", G1, spell.held() >> 10, CONNECTIONS,
                spell.before() >> 10, spell.after() >> 10, CONTROL_SECONDS, spell.fullCollections());
        assertTrue(spell.before() >= 24 << 20, "the burst grew the heap to " + (spell.before() >> 10) + " KiB");
        assertTrue(spell.after() * 5 > spell.before() * 4, "the heap shrank without the feature: "
                + (spell.after() >> 10) + " KiB, before: " + (spell.before() >> 10) + " KiB\n" + spell.tail());
        assertEquals(0, spell.fullCollections(), "full collections without the feature\n" + spell.tail());
    }

    /** HeapReturn's count: G1's full collection shrinks at once; Serial's in steps, over four. */
    private static int fullCollectionsOfTheFeature(String collector) {
        return collector.equals(G1) ? 1 : 4;
    }

    /** The collector that does the full collections, by its MXBean name. */
    private static Pattern fullCollections(String collector) {
        String name = collector.equals(G1) ? "G1 Old Generation" : "MarkSweepCompact";
        return Pattern.compile("ktls_https_jvm_gc_collections_total\\{collector=\"" + name + "\"} (\\d+)");
    }

    /**
     * Opens {@link #CONNECTIONS} connections, closes them once all are served, waits until
     * the server holds none, then reads /server-status every 2 s (a trickle: not work to the
     * feature) until the heap has shrunk by a fifth and {@code fullWanted} full collections
     * have run since the burst, or {@code seconds} have passed.
     */
    private static Spell burstThenQuiet(String collector, String returnHeapAfter, Path root, long fullWanted,
            long seconds) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        ServerProcess server = ServerProcess.start(List.of("-Xms8m", "-Xmx512m", collector), List.of(
                "--bind", "127.0.0.1", "--port", "0", "--root", root.toString(), "--ktls=off",
                "--access-log", "off", "--idle-timeout", "10m", "--return-heap-after", returnHeapAfter));
        Pattern full = fullCollections(collector);
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
            String holding = status(tls, port); // right after the burst: well within the quiet time
            long held = number(COMMITTED, holding);
            long fullBefore = number(full, holding);
            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            String afterClose = status(tls, port);
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); number(ACTIVE, afterClose) != 1; ) {
                assertTrue(System.nanoTime() < deadline, "connections still open 10 s after the clients left (1 is"
                        + " the status request):\n" + afterClose);
                Thread.sleep(1000); // one status read a second at most: a trickle
                afterClose = status(tls, port);
            }
            long before = number(COMMITTED, afterClose);
            long after = before;
            long fullSince = number(full, afterClose) - fullBefore;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline && (after * 5 > before * 4 || fullSince < fullWanted)) {
                Thread.sleep(2000); // one status read (a handshake and a request) every 2 s: a trickle
                String now = status(tls, port);
                after = number(COMMITTED, now);
                fullSince = number(full, now) - fullBefore;
            }
            assertEquals(List.of(), server.loudLines(), "the server logged at WARN or above");
            return new Spell(held, before, after, fullSince, server.tail());
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
