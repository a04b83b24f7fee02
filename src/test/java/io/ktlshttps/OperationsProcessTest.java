package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.ServerProcess;
import io.ktlshttps.testing.TestCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator does to a running server (issue 27), on the real process: SIGHUP with a
 * renewed certificate, SIGUSR1 after logrotate renamed the access log, and a second server
 * on the same port (SO_REUSEPORT) while the first drains after SIGTERM.
 */
class OperationsProcessTest {
    @TempDir
    Path dir;
    private final List<ServerProcess> servers = new ArrayList<>();
    private SSLContext trusting;

    @AfterEach
    void stop() throws Exception {
        for (ServerProcess s : servers) {
            s.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private ServerProcess start(String... options) throws Exception {
        trusting = ServerProcess.trustingEverything();
        List<String> all = new ArrayList<>(List.of("--bind", "127.0.0.1", "--return-heap-after", "off"));
        all.addAll(List.of(options));
        // The server's own logging (the test class path's logback-test.xml quiets the access log).
        String logging = "-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath();
        ServerProcess server = ServerProcess.start(List.of("-Xmx256m", logging), all);
        servers.add(server);
        return server;
    }

    private static void signal(ServerProcess server, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(server.process().pid())).start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
    }

    private static void await(String what, ServerProcess server, BooleanSupplier condition) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("waited 15 s for " + what + "\n" + server.tail());
    }

    private static long lines(ServerProcess server, String text) {
        synchronized (server.output()) {
            return server.output().stream().filter(l -> l.contains(text)).count();
        }
    }

    private static String sha256(byte[] der) throws Exception {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    }

    private static String fingerprintOfPem(Path pem) throws Exception {
        return sha256(derOf(Files.readString(pem)));
    }

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

    private static byte[] derOf(String text) {
        Matcher m = PEM.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no certificate in:\n" + text);
        }
        return Base64.getMimeDecoder().decode(m.group(1));
    }

    /** The leaf a client we did not write gets on a new connection: openssl s_client's output. */
    private static String fingerprintSeenByOpenssl(int port) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "openssl s_client did not end");
        return sha256(derOf(output));
    }

    private HttpsURLConnection get(int port, String path) throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) new URL("https://127.0.0.1:" + port + path).openConnection();
        c.setSSLSocketFactory(trusting.getSocketFactory());
        c.setHostnameVerifier((h, s) -> true);
        c.setConnectTimeout(5000);
        c.setReadTimeout(10000);
        return c;
    }

    /** One request on a new connection; "" when the connection closed before any answer. */
    private String request(int port) throws IOException {
        try (SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10000);
            s.getOutputStream().write("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (ConnectException e) {
            throw e;
        } catch (IOException e) {
            return "";  // reset or closed during the handshake: also before any answer
        }
    }

    private void identity(String name) throws Exception {
        TestCredentials.opensslEcIdentity("prime256v1", dir.resolve(name + ".key"), dir.resolve(name + ".crt"));
    }

    /** Replaces a file as an ACME client does: a new file renamed over the old one. */
    private void install(String from, String to) throws IOException {
        Path tmp = dir.resolve(to + ".new");
        Files.copy(dir.resolve(from), tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, dir.resolve(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void sighupServesTheNewCertificateToNewConnectionsAndFinishesTheDownloadInFlight() throws Exception {
        identity("old");
        identity("new");
        install("old.crt", "cert.pem");
        install("old.key", "key.pem");
        Path root = Files.createDirectory(dir.resolve("www"));
        int size = 64 << 20;
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(root.resolve("big.bin"))) {
            for (int i = 0; i < size / chunk.length; i++) {
                out.write(chunk);
            }
        }
        ServerProcess server = start("--port", "0", "--root", root.toString(), "--cert",
                dir.resolve("cert.pem").toString(), "--key", dir.resolve("key.pem").toString(), "--access-log", "off");
        int port = server.awaitPort();
        String oldFingerprint = fingerprintOfPem(dir.resolve("old.crt"));
        String newFingerprint = fingerprintOfPem(dir.resolve("new.crt"));
        assertEquals(oldFingerprint, fingerprintSeenByOpenssl(port));

        HttpsURLConnection download = get(port, "/big.bin");
        long received;
        try (InputStream in = download.getInputStream()) {
            Certificate[] peer = download.getServerCertificates();
            assertEquals(oldFingerprint, sha256(peer[0].getEncoded()), "the download's certificate");
            received = in.readNBytes(1 << 20).length; // the download has begun
            install("new.crt", "cert.pem");
            install("new.key", "key.pem");
            signal(server, "HUP");
            await("the reload", server, () -> lines(server, "certificate: SHA-256 " + newFingerprint) == 1);
            assertEquals(newFingerprint, fingerprintSeenByOpenssl(port), "a new connection after SIGHUP");
            received += in.transferTo(OutputStream.nullOutputStream());
        }
        assertEquals(size, received, "the download in flight");

        HttpsURLConnection status = get(port, "/server-status");
        String page = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(page.contains("ktls_https_certificate_not_after_seconds{sha256=\"" + newFingerprint + "\""), page);
        assertEquals(List.of(), server.loudLines());
    }

    @Test
    void aBrokenOrForeignKeyOnSighupKeepsTheOldCertificateWithOneLine() throws Exception {
        identity("old");
        identity("other");
        install("old.crt", "cert.pem");
        install("old.key", "key.pem");
        ServerProcess server = start("--port", "0", "--root", dir.toString(), "--cert",
                dir.resolve("cert.pem").toString(), "--key", dir.resolve("key.pem").toString(), "--access-log", "off");
        int port = server.awaitPort();
        String oldFingerprint = fingerprintOfPem(dir.resolve("old.crt"));

        Files.writeString(dir.resolve("broken.key"), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
        install("broken.key", "key.pem");
        signal(server, "HUP");
        await("a warning", server, () -> server.loudLines().size() == 1);
        assertEquals(oldFingerprint, fingerprintSeenByOpenssl(port), "after a broken key");

        install("other.key", "key.pem"); // a good key, of another certificate
        signal(server, "HUP");
        await("a second warning", server, () -> server.loudLines().size() == 2);
        assertEquals(oldFingerprint, fingerprintSeenByOpenssl(port), "after a key of another certificate");
        assertTrue(server.loudLines().get(1).contains("does not belong"), server.loudLines().get(1));
        Thread.sleep(300);
        assertEquals(2, server.loudLines().size(), "one line per refused reload:\n" + server.tail());
        assertTrue(server.process().isAlive());
    }

    @Test
    void sigusr1AfterARenameWritesNewLinesToANewFileAndLosesNone() throws Exception {
        Path root = Files.createDirectory(dir.resolve("www"));
        Files.writeString(root.resolve("a.txt"), "a\n");
        Path log = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        ServerProcess server = start("--port", "0", "--root", root.toString(), "--access-log", log.toString());
        int port = server.awaitPort();
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = new ArrayList<>();
        // Four clients, so that lines are being written while the file is reopened.
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread client = new Thread(() -> {
                try {
                    while (!done.get()) {
                        int n = sent.get();
                        HttpsURLConnection c = get(port, "/a.txt?n=" + Thread.currentThread().getName() + "-" + n);
                        c.getInputStream().readAllBytes();
                        sent.incrementAndGet();
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "c" + t);
            clients.add(client);
            client.start();
        }
        await("requests", server, () -> sent.get() >= 100);
        Files.move(log, rotated, StandardCopyOption.ATOMIC_MOVE);
        await("requests into the renamed file", server, () -> sent.get() >= 200);
        signal(server, "USR1");
        await("the reopen", server, () -> lines(server, "SIGUSR1: reopened 1 access log file") == 1);
        int atReopen = sent.get();
        await("requests after the reopen", server, () -> sent.get() >= atReopen + 100);
        done.set(true);
        for (Thread c : clients) {
            c.join(20000);
        }
        assertEquals(List.of(), failures);
        int total = sent.get();
        try {
            await("every line", server, () -> {
                try {
                    return Files.readAllLines(rotated).size() + (Files.exists(log) ? Files.readAllLines(log).size()
                            : 0) >= total;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(total + " requests; lines: " + Files.readAllLines(rotated).size() + " in "
                    + rotated + ", " + (Files.exists(log) ? Files.readAllLines(log).size() : "no file") + " in " + log,
                    e);
        }
        List<String> before = Files.readAllLines(rotated);
        List<String> after = Files.readAllLines(log);
        assertTrue(after.size() >= 100, "lines in the new file: " + after.size());
        Map<String, Integer> seen = new HashMap<>();
        Pattern target = Pattern.compile("\"GET (/a\\.txt\\?n=[^ ]+) HTTP/1.1\" 200 ");
        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        for (String line : all) {
            Matcher m = target.matcher(line);
            assertTrue(m.find(), "a whole line: " + line);
            seen.merge(m.group(1), 1, Integer::sum);
        }
        assertEquals(total, all.size(), "lines across both files, one per request");
        seen.forEach((request, count) -> assertEquals(1, count, request + " logged " + count + " times"));
        assertEquals(List.of(), server.loudLines());
    }

    /**
     * Graceful restart: a second server binds the first one's port (SO_REUSEPORT), the first
     * gets SIGTERM; a client connecting again and again all along is never refused.
     */
    @Test
    void aSecondServerOnThePortTakesOverWhileTheFirstStopsAndNoConnectionIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("www"));
        Files.writeString(root.resolve("a.txt"), "a\n");
        ServerProcess first = start("--port", "0", "--root", root.toString(), "--access-log", "off");
        int port = first.awaitPort();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger retried = new AtomicInteger();
        Thread client = new Thread(() -> {
            for (int i = 0; i < 20000 && !done.get(); i++) { // bounded, loopback only
                try {
                    String answer = request(port);
                    if (answer.isEmpty()) {
                        // Closed before an answer: the first server, stopping, closes a connection
                        // whose request has not come yet (as nginx does); HTTP clients send an
                        // idempotent request again then (RFC 9110 section 9.2.2), and so do we, once.
                        retried.incrementAndGet();
                        answer = request(port);
                    }
                    if (answer.startsWith("HTTP/1.1 200")) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("answer " + answer.lines().findFirst().orElse("(none)"));
                    }
                } catch (ConnectException e) {
                    failures.add("refused: " + e.getMessage());
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            }
        }, "client");
        client.start();
        await("requests to the first", first, () -> ok.get() >= 20);
        ServerProcess second = start("--port", Integer.toString(port), "--root", root.toString(),
                "--access-log", "off");
        assertEquals(port, second.awaitPort(), "the second server on the same port");
        signal(first, "TERM");
        assertTrue(first.process().waitFor(20, TimeUnit.SECONDS), "the first server stopped");
        int atStop = ok.get();
        await("requests to the second alone", second, () -> ok.get() >= atStop + 50);
        done.set(true);
        client.join(20000);
        assertEquals(List.of(), failures, "failures while the first stopped (" + ok.get() + " served, "
                + retried.get() + " sent again)");
        assertTrue(second.process().isAlive());
    }
}
