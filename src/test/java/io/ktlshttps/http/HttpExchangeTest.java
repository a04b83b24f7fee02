package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP/1.1 exchange on byte arrays: what each scripted input produces, and what serve() returns. */
class HttpExchangeTest {
    private static final String GET = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    /** Reads come from a script: byte chunks, or markers for a timeout, end of stream or a dry read. */
    private static final class ScriptedConnection implements Connection {
        static final byte[] TIMEOUT = new byte[0];
        static final byte[] EOF = new byte[0];
        static final byte[] DRY = new byte[0];
        final Deque<byte[]> script = new ArrayDeque<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<Long> deadlines = new ArrayList<>();
        boolean closeAfter;
        int reads;

        ScriptedConnection add(String chunk) {
            script.add(chunk.getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        ScriptedConnection add(byte[] marker) {
            script.add(marker);
            return this;
        }

        @Override
        public int read(byte[] buffer, int offset, int length, long deadlineNanos) throws IOException {
            reads++;
            deadlines.add(deadlineNanos);
            byte[] next = script.poll();
            if (next == null) {
                throw new AssertionError("read past the end of the script: the exchange should have waited");
            }
            if (next == TIMEOUT) {
                throw new SocketTimeoutException("scripted");
            }
            if (next == EOF) {
                return -1;
            }
            if (next == DRY) {
                return 0;
            }
            int n = Math.min(length, next.length);
            System.arraycopy(next, 0, buffer, offset, n);
            if (n < next.length) {
                script.push(Arrays.copyOfRange(next, n, next.length));
            }
            return n;
        }

        @Override
        public int write(byte[] buffer, int offset, int length, boolean more) {
            out.write(buffer, offset, length);
            return length;
        }

        @Override
        public long transferFrom(Path file, long position, long count) throws IOException {
            byte[] all = Files.readAllBytes(file);
            int n = (int) Math.max(0, Math.min(count, all.length - position));
            out.write(all, (int) position, n);
            return n == 0 && count > 0 ? -1 : n;
        }

        @Override
        public boolean hasBufferedInput() {
            return false; // what the script holds arrives by read, like bytes still in the socket
        }

        @Override
        public boolean closeAfterResponse() {
            return closeAfter;
        }

        String output() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }

        List<Integer> statuses() {
            List<Integer> s = new ArrayList<>();
            Matcher m = STATUS.matcher(output());
            while (m.find()) {
                s.add(Integer.parseInt(m.group(1)));
            }
            return s;
        }
    }

    private final List<String> logged = new ArrayList<>();

    private HttpExchange exchange(ScriptedConnection c) {
        return exchange(c, (request, now) -> new HttpResponse(200).body(("body of " + request.path())
                .getBytes(StandardCharsets.US_ASCII)));
    }

    private HttpExchange exchange(ScriptedConnection c, HttpExchange.Handler handler) {
        return new HttpExchange(c, RequestLimits.DEFAULT, Duration.ofSeconds(5), Duration.ofMinutes(1), handler,
                (request, status, bytes) -> logged.add((request == null ? "-" : request.path()) + " " + status + " "
                        + bytes), "test");
    }

    private static long inAMinute() {
        return System.nanoTime() + Duration.ofMinutes(1).toNanos();
    }

    @Test
    void answersOneRequestThenWaitsForTheNext() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add(GET);
        assertEquals(HttpExchange.Outcome.WAIT_READ, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200), c.statuses());
        assertTrue(c.output().endsWith("body of /a"), c.output());
        assertFalse(c.output().contains("Connection: close"));
        assertEquals(List.of("/a 200 10"), logged);
    }

    @Test
    void theFirstReadWaitsUntilTheIdleDeadlineAndLaterOnesUntilTheHeaderDeadline() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("GET /a HT").add("TP/1.1\r\nHost: h\r\n\r\n");
        long idle = inAMinute();
        long before = System.nanoTime();
        exchange(c).serve(idle, new byte[16384]);
        assertEquals(idle, c.deadlines.get(0));
        long header = c.deadlines.get(1);
        assertTrue(header - before >= Duration.ofSeconds(5).toNanos() && header - idle < 0,
                "the rest of a request head must arrive within the header timeout");
    }

    @Test
    void theStartOfAPipelinedRequestMustBeFinishedWithinTheHeaderTimeout() throws IOException {
        // A whole request and the first bytes of the next in one read: the rest of that
        // head is due within the header timeout, not whenever (a worker would be held).
        ScriptedConnection c = new ScriptedConnection().add(GET + "GET /b HT").add(ScriptedConnection.TIMEOUT);
        long before = System.nanoTime();
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200, 408), c.statuses());
        long header = c.deadlines.get(1);
        assertTrue(header - before >= Duration.ofSeconds(5).toNanos()
                && header - System.nanoTime() <= Duration.ofSeconds(5).toNanos(), "deadline " + (header - before));
    }

    @Test
    void theHandlerGetsTheMomentTheRequestCame() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add(GET);
        long[] seen = new long[1];
        long before = System.nanoTime();
        exchange(c, (request, now) -> {
            seen[0] = now;
            return HttpResponse.error(404);
        }).serve(inAMinute(), new byte[16384]);
        assertTrue(seen[0] - before >= 0 && seen[0] - System.nanoTime() <= 0, "now " + (seen[0] - before));
    }

    @Test
    void pipelinedRequestsInOneReadAreAllAnswered() throws IOException {
        ScriptedConnection c = new ScriptedConnection()
                .add(GET + "GET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(HttpExchange.Outcome.WAIT_READ, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200, 200, 200), c.statuses());
        assertEquals(List.of("/a 200 10", "/b 200 10", "/c 200 10"), logged);
        assertEquals(1, c.reads, "all three were in the first read");
    }

    @Test
    void connectionCloseEndsTheExchange() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertTrue(c.output().contains("Connection: close"), c.output());
    }

    @Test
    void http10WithoutKeepAliveCloses() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("GET /a HTTP/1.0\r\n\r\n");
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertTrue(c.output().startsWith("HTTP/1.0 200 "), c.output());
    }

    @Test
    void aStalledRequestHeadGets408() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("GET /a HTTP/1.1\r\nHo").add(ScriptedConnection.TIMEOUT);
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(408), c.statuses());
        assertTrue(c.output().contains("Connection: close"));
    }

    @Test
    void anIdleTimeoutWithNothingReceivedClosesSilently() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add(ScriptedConnection.TIMEOUT);
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals("", c.output());
    }

    @Test
    void endOfStreamBetweenRequestsCloses() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add(ScriptedConnection.EOF);
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals("", c.output());
    }

    @Test
    void aReadWithoutDataSendsTheConnectionBackToWait() throws IOException {
        // A kernel TLS socket woke us for a record that carried no data (a KeyUpdate, say).
        ScriptedConnection c = new ScriptedConnection().add(ScriptedConnection.DRY);
        assertEquals(HttpExchange.Outcome.WAIT_READ, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals("", c.output());
        ScriptedConnection partial = new ScriptedConnection().add("GET /a HTTP/1.1\r\n").add(ScriptedConnection.DRY)
                .add("Host: h\r\n\r\n");
        assertEquals(HttpExchange.Outcome.WAIT_READ, exchange(partial).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200), partial.statuses(), "a request begun is read to its end");
    }

    @Test
    void aBodyTooLargeToDiscardGets413() throws IOException {
        ScriptedConnection c = new ScriptedConnection()
                .add("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + (HttpExchange.MAX_DISCARDED_BODY + 1)
                        + "\r\n\r\n");
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(413), c.statuses());
    }

    @Test
    void aSmallBodyIsDroppedAndTheNextRequestFollows() throws IOException {
        String body = "x".repeat(20000);
        ScriptedConnection c = new ScriptedConnection()
                .add("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n" + body.substring(0, 100))
                .add(body.substring(100, 15000)).add(body.substring(15000) + GET);
        HttpExchange e = exchange(c);
        assertEquals(HttpExchange.Outcome.WAIT_READ, e.serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200), c.statuses(), c.output());
        // The next request is still in the socket, unread: readiness brings the exchange back for it.
        assertEquals(HttpExchange.Outcome.WAIT_READ, e.serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(200, 200), c.statuses(), c.output());
        assertEquals(List.of("/p 200 10", "/a 200 10"), logged);
    }

    @Test
    void aClientThatClosesInsideABodyEndsTheExchange() throws IOException {
        ScriptedConnection c = new ScriptedConnection()
                .add("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 500\r\n\r\nabc").add(ScriptedConnection.EOF);
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals("", c.output());
    }

    @Test
    void aMalformedRequestGets400AndCloses() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("GARBAGE\r\n\r\n");
        assertEquals(HttpExchange.Outcome.CLOSE, exchange(c).serve(inAMinute(), new byte[16384]));
        assertEquals(List.of(400), c.statuses());
        assertEquals(List.of("- 400 " + (c.output().length() - c.output().indexOf("\r\n\r\n") - 4)), logged);
    }

    @Test
    void whenTheOwnerWantsToCloseTheResponseSaysSo() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add(GET);
        c.closeAfter = true;
        HttpExchange e = exchange(c);
        assertEquals(HttpExchange.Outcome.CLOSE, e.serve(inAMinute(), new byte[16384]));
        assertEquals("", c.output(), "nothing was read: a stopping server does not start on a new request");
        c.closeAfter = false;
        ScriptedConnection d = new ScriptedConnection().add(GET);
        HttpExchange f = exchange(d, (request, now) -> {
            d.closeAfter = true; // the server began to stop while this request was handled
            return new HttpResponse(204);
        });
        assertEquals(HttpExchange.Outcome.CLOSE, f.serve(inAMinute(), new byte[16384]));
        assertTrue(d.output().contains("Connection: close"), d.output());
    }

    @Test
    void headSendsNoBody() throws IOException {
        ScriptedConnection c = new ScriptedConnection().add("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n");
        exchange(c).serve(inAMinute(), new byte[16384]);
        assertTrue(c.output().endsWith("\r\n\r\n"), c.output());
        assertTrue(c.output().contains("Content-Length: 10"));
    }

    @Test
    void aHeadLargerThanTheScratchBufferStillParses() throws IOException {
        String big = "GET /a HTTP/1.1\r\nHost: h\r\nX-Long: " + "v".repeat(3000) + "\r\n\r\n";
        ScriptedConnection c = new ScriptedConnection().add(big.substring(0, 1000)).add(big.substring(1000));
        byte[] scratch = new byte[512];
        assertEquals(HttpExchange.Outcome.WAIT_READ, exchange(c).serve(inAMinute(), scratch));
        assertEquals(List.of(200), c.statuses());
    }

    @Test
    void fileBodiesGoByTransferAndAShrunkFileEndsTheConnection(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "0123456789");
        ScriptedConnection c = new ScriptedConnection().add(GET);
        exchange(c, (r, now) -> new HttpResponse(200).body(new HttpResponse.FileRegion(file, 2, 5)))
                .serve(inAMinute(), new byte[16384]);
        assertTrue(c.output().endsWith("\r\n\r\n23456"), c.output());
        ScriptedConnection d = new ScriptedConnection().add(GET);
        IOException e = assertThrows(IOException.class, () -> exchange(d,
                (r, now) -> new HttpResponse(200).body(new HttpResponse.FileRegion(file, 0, 50)))
                .serve(inAMinute(), new byte[16384]));
        assertTrue(e.getMessage().contains("shrank"), e.getMessage());
    }
}
