package io.ktlshttps;

import io.ktlshttps.testing.ServerProcess;
import io.ktlshttps.testing.TestCredentials;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server that cannot serve must say why and exit, not stay up deaf. One that runs out
 * of heap is started as its own process with a small heap (and the parallel collector,
 * which throws OutOfMemoryError when collecting stops paying instead of slowing to a
 * crawl), and clients connect and stay connected until it gives way. Then either it has
 * exited with status 70 after one log line (for a supervisor to restart it), or it still
 * answers a new client. Accepting connections it never serves is the one outcome that
 * fails.
 */
class FailFastTest {
    private static final int MAX_CLIENTS = 6000;

    /**
     * A certificate the server cannot serve (an EC key on P-521, for which no TLS 1.3
     * signature scheme is offered) stops start-up with status 2 and one line that names
     * the files and the reason, not a stack trace.
     */
    @Test
    void aKeyOnAnUnsupportedCurveStopsStartUpWithTheReason(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        TestCredentials.opensslEcIdentity("secp521r1", key, cert);
        ServerProcess server = ServerProcess.start(List.of(), List.of("--bind", "127.0.0.1", "--port", "0",
                "--root", dir.toString(), "--cert", cert.toString(), "--key", key.toString()));
        assertTrue(server.process().waitFor(60, TimeUnit.SECONDS), "still running:\n" + server.tail());
        server.awaitOutputEnd(5000);
        String output;
        synchronized (server.output()) {
            output = String.join("\n", server.output());
        }
        assertEquals(2, server.process().exitValue(), output);
        assertTrue(output.contains("--cert " + cert + " --key " + key + ": the EC key is on an unsupported curve"),
                output);
        assertFalse(output.contains("\tat "), "no stack trace:\n" + output);
    }

    /** The test-only switch of server.FaultInjection: POINT:error or POINT:runtime, thrown once. */
    private static final String FAULT = "-Dktls-https.inject-fault=";

    private static ServerProcess startWithFault(Path root, String fault, String... more) throws IOException {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        List<String> options = new ArrayList<>(List.of("--bind", "127.0.0.1", "--port", "0", "--root",
                root.toString(), "--ktls=off", "--access-log", "off"));
        options.addAll(List.of(more));
        return ServerProcess.start(List.of(FAULT + fault), options);
    }

    /**
     * An Error in any server thread, and a RuntimeException that escapes a thread's own loop
     * (an event loop, its accept path, the heap-return timer), end the process with status 70
     * and one line that says where: that thread is gone, and a server without it is deaf
     * (or, for the timer, silently stops returning heap). The fault is thrown by the real
     * process at the named place; a client is sent where one is needed to get there.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"accept:error, the event loop loop-", "accept:runtime, the event loop loop-",
        "loop:error, the event loop loop-", "loop:runtime, the event loop loop-",
        "connection:error, the event loop loop-",
        "close:error, the event loop loop-",
        "heap-return:error, the heap-return task", "heap-return:runtime, the heap-return task"})
    void aFaultInAServerThreadEndsTheProcessWithStatus70(String fault, String where, @TempDir Path root)
            throws Exception {
        ServerProcess server = startWithFault(root, fault);
        Process process = server.process();
        try {
            if (fault.startsWith("accept") || fault.startsWith("connection") || fault.startsWith("close")) {
                int port = server.awaitPort();
                try (Socket client = fetch(ServerProcess.trustingEverything(), port, false, 10_000)) {
                    assertTrue(client.isConnected()); // served: the fault comes after the response (close)
                } catch (IOException expected) {
                    // the process ended under it
                }
            }
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running after " + fault + ":\n" + server.tail());
            server.awaitOutputEnd(5000);
            List<String> output;
            synchronized (server.output()) {
                output = new ArrayList<>(server.output());
            }
            assertEquals(70, process.exitValue(), String.join("\n", output));
            List<String> fatal = output.stream().filter(l -> l.contains("so that a supervisor restarts")).toList();
            assertEquals(1, fatal.size(), "one line says why:\n" + String.join("\n", output));
            assertEquals(fatal, server.loudLines(), "the one line is the only WARN or ERROR");
            assertTrue(fatal.get(0).contains("in " + where) && fatal.get(0).contains("fault injected at"), fatal.get(0));
        } finally {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A RuntimeException in one connection's turn, or while closing it, ends that
     * connection, not the server (as Netty, Jetty and Tomcat do): its fd and its connection
     * slot are released, which one slot (--max-connections 1) shows: the next client is
     * served only if the first one's slot came back, and the server's open fds return to
     * what they were. One ERROR line with the stack says what happened.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"connection:runtime", "close:runtime"})
    void aConnectionsFailureReleasesItsFdAndSlotAndTheServerGoesOn(String fault, @TempDir Path root)
            throws Exception {
        ServerProcess server = startWithFault(root, fault, "--max-connections", "1");
        Process process = server.process();
        try {
            int port = server.awaitPort();
            long fdsBefore = openFds(process);
            SSLContext tls = ServerProcess.trustingEverything();
            try (Socket first = fetch(tls, port, false, 10_000)) {
                assertTrue(first.isConnected() && fault.startsWith("close"), "the faulted turn served a response");
            } catch (IOException expected) {
                assertTrue(fault.startsWith("connection"), "the first client failed: " + expected + "\n" + server.tail());
            }
            for (int i = 0; i < 3; i++) {
                try (Socket next = fetch(tls, port, false, 10_000)) {
                    assertTrue(next.isConnected());
                } catch (IOException e) {
                    fail("client " + (i + 2) + " after the fault was not served (slot lost?): " + e + "\n" + server.tail());
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // lingering ends within 2 s
            while (openFds(process) != fdsBefore && System.nanoTime() - deadline < 0) {
                Thread.sleep(50);
            }
            assertEquals(fdsBefore, openFds(process), "open fds back to where they were");
            assertTrue(process.isAlive(), server.tail());
            List<String> output;
            synchronized (server.output()) {
                output = new ArrayList<>(server.output());
            }
            long failures = output.stream().filter(l -> l.contains("unexpected failure: closing the connection")).count();
            assertEquals(1, failures, String.join("\n", output));
            assertEquals(1, server.loudLines().size(), "that line is the only WARN or ERROR: " + server.loudLines());
            assertTrue(output.stream().anyMatch(l -> l.contains("fault injected at " + fault.split(":")[0]
                    .toUpperCase(java.util.Locale.ROOT))), "the stack names the fault:\n" + String.join("\n", output));
        } finally {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static long openFds(Process process) throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return fds.count();
        }
    }

    @Test
    void outOfMemoryEndsTheProcessOrLeavesItServing(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "still up\n");
        ServerProcess server = ServerProcess.start(List.of("-Xmx24m", "-XX:+UseParallelGC"), List.of(
                "--bind", "127.0.0.1", "--port", "0", "--root", root.toString(), "--ktls=off",
                "--access-log", "off", "--idle-timeout", "10m", "--handshake-timeout", "1m",
                "--max-connections", "20000"));
        Process process = server.process();
        List<String> output = server.output();
        List<Socket> clients = new ArrayList<>();
        try {
            int port = server.awaitPort();
            SSLContext tls = ServerProcess.trustingEverything();
            for (int i = 0; i < MAX_CLIENTS && process.isAlive(); i++) {
                try {
                    clients.add(fetch(tls, port, true, 10_000));
                } catch (IOException e) {
                    break; // it gave way: exited, or stopped answering
                }
            }
            System.out.println(clients.size() + " clients connected; server alive: " + process.isAlive());
            if (process.waitFor(10, TimeUnit.SECONDS)) {
                assertEquals(70, process.exitValue(), "exit status; output:\n" + String.join("\n", output));
                server.awaitOutputEnd(5000);
                long fatalLines = output.stream().filter(l -> l.contains("so that a supervisor restarts")).count();
                assertEquals(1, fatalLines, "one log line says why; output:\n" + server.tail());
                return;
            }
            // Still running: it must still serve a newcomer, holding what it holds (slowly,
            // perhaps, with the heap nearly full).
            try (Socket newcomer = fetch(tls, port, false, 30_000)) {
                assertTrue(newcomer.isConnected());
            } catch (IOException e) {
                fail("the server is up with " + clients.size() + " clients but does not answer a new one: " + e
                        + "\noutput:\n" + server.tail());
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** One TLS connection and one request, each step within the timeout; the socket stays open when keepOpen. */
    private static Socket fetch(SSLContext tls, int port, boolean keepOpen, int timeoutMillis) throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            plain.setSoTimeout(timeoutMillis);
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            s.getOutputStream().write(("GET /ok.txt HTTP/1.1\r\nHost: x\r\n" + (keepOpen ? "" : "Connection: close\r\n")
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = readResponse(s.getInputStream());
            if (!response.startsWith("HTTP/1.1 200 ") || !response.endsWith("still up\n")) {
                throw new IOException("unexpected response: " + response);
            }
            return s;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    /** Reads a response with a 9-byte body ("still up\n"). */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("still up\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of stream after: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

}
