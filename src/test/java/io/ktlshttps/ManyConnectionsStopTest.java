package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One event loop that owns 10,000 connections closes every one of them on stop (SIGTERM),
 * promptly, each the right way: a connection still waiting for its ClientHello gets a
 * FIN (end of stream, not a reset), a keep-alive connection between requests gets
 * close_notify and then a FIN. They are in one loop's epoll set and timer heap at once.
 * Run against the real process (user-space TLS: the loop's work does not depend on the
 * record layer).
 */
class ManyConnectionsStopTest {
    private static final int WAITING = 10_000;
    private static final int KEEP_ALIVE = 20;
    private static final Pattern ACTIVE = Pattern.compile("(?m)^ktls_https_connections_active (\\d+)$");

    @Test
    void oneLoopClosesTenThousandConnectionsOnStop(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        ServerProcess server = ServerProcess.start(List.of("-Xmx512m"), List.of("--bind", "127.0.0.1", "--port", "0",
                "--root", root.toString(), "--ktls=off", "--access-log", "off", "--loops", "1",
                "--max-connections", Integer.toString(WAITING + KEEP_ALIVE + 10), "--handshake-timeout", "10m",
                "--idle-timeout", "10m", "--shutdown-grace", "5s"));
        Process process = server.process();
        List<Socket> waiting = new ArrayList<>();
        List<SSLSocket> keepAlive = new ArrayList<>();
        try {
            int port = server.awaitPort();
            assertTrue(server.tail().contains("1 event loop"), server.tail());
            SSLContext tls = ServerProcess.trustingEverything();
            for (int i = 0; i < KEEP_ALIVE; i++) {
                SSLSocket c = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
                keepAlive.add(c);
                c.setSoTimeout(20_000);
                assertTrue(get(c, "/ok.txt", false).endsWith("still up\n"));
            }
            for (int i = 0; i < WAITING; i++) {
                Socket s = new Socket();
                waiting.add(s);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long active = 0;
            while (System.nanoTime() - deadline < 0) {
                active = activeConnections(tls, port);
                if (active == WAITING + KEEP_ALIVE + 1) { // the status request's own connection too
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals(WAITING + KEEP_ALIVE + 1, active, "connections held by the one loop");

            long start = System.nanoTime();
            // SIGTERM, the graceful stop (Process.destroy would close our end of its output)
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor());
            for (int i = 0; i < WAITING; i++) {
                Socket s = waiting.get(i);
                s.setSoTimeout(20_000);
                assertEquals(-1, s.getInputStream().read(), "connection " + i + ": end of stream, not a reset");
            }
            for (SSLSocket c : keepAlive) {
                assertEquals(-1, c.getInputStream().read(), "close_notify, then the end of the stream");
            }
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running:\n" + server.tail());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 10_000, "the stop took " + millis + " ms");
            server.awaitOutputEnd(5000);
            assertTrue(server.tail().contains("stopped"), server.tail());
            assertEquals(List.of(), server.loudLines(), "no WARN or ERROR");
            System.out.println(WAITING + KEEP_ALIVE + " connections on one loop closed; the process ended "
                    + millis + " ms after SIGTERM");
        } finally {
            for (Socket s : waiting) {
                closeQuietly(s);
            }
            for (Socket s : keepAlive) {
                closeQuietly(s);
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static long activeConnections(SSLContext tls, int port) throws IOException {
        try (SSLSocket c = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            c.setSoTimeout(20_000);
            Matcher m = ACTIVE.matcher(get(c, "/server-status", true));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    /** One request; the response up to its Content-Length (keep-alive) or to the end (close). */
    private static String get(SSLSocket c, String path, boolean close) throws IOException {
        c.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + (close ? "Connection: close\r\n" : "")
                + "\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = c.getInputStream();
        if (close) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the response ended in its head: " + head);
            }
            head.append((char) b);
        }
        int length = Integer.parseInt(head.toString().replaceAll("(?is).*\r\ncontent-length: *(\\d+).*", "$1"));
        return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the test is over
        } catch (RuntimeException ignored) {
            // idem
        }
    }
}
