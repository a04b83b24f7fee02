package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.http.HttpExchange.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exchange over a scripted non-blocking connection, as the event-driven core drives
 * it: a clock the owner reads (a fake one here, far from {@link System#nanoTime}, so a
 * deadline taken from the real clock would show), reads that return 0 when nothing has
 * arrived, writes and file transfers that take only what the client's window allows.
 */
class ResumableExchangeTest {
    private static final Duration HEADER = Duration.ofSeconds(5);
    private static final Duration IDLE = Duration.ofSeconds(60);
    private static final long T0 = 4_000_000_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");
    private static final Pattern DATE = Pattern.compile("Date: [^\r]*\r\n");

    /** What arrived from the client, what its window takes, what it received. */
    private static final class Window implements Connection {
        private byte[] input = new byte[0];
        private int consumed;
        boolean eof;
        /** Bytes the client takes until the test opens the window again. */
        long room = Long.MAX_VALUE;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<String> calls = new ArrayList<>();
        boolean closeAfter;

        Window arrive(byte[] bytes) {
            byte[] all = Arrays.copyOf(input, input.length + bytes.length);
            System.arraycopy(bytes, 0, all, input.length, bytes.length);
            input = all;
            return this;
        }

        Window arrive(String s) {
            return arrive(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public int read(byte[] buffer, int offset, int length, long deadlineNanos) {
            int n = Math.min(length, input.length - consumed);
            if (n == 0) {
                return eof ? -1 : 0;
            }
            System.arraycopy(input, consumed, buffer, offset, n);
            consumed += n;
            return n;
        }

        @Override
        public int write(byte[] buffer, int offset, int length, boolean more) {
            int n = (int) Math.min(room, length);
            room -= n;
            out.write(buffer, offset, n);
            calls.add("write " + n + " of " + length + (more ? " more" : ""));
            return n;
        }

        @Override
        public long transferFrom(Path file, long position, long count) throws IOException {
            try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
                if (position >= f.size()) {
                    calls.add("file " + position + " ended");
                    return -1;
                }
                int n = (int) Math.min(Math.min(count, room), Math.min(f.size() - position, 1 << 20));
                ByteBuffer b = ByteBuffer.allocate(n);
                while (b.hasRemaining() && f.read(b, position + b.position()) > 0) {
                    // reads what it asked for: the file is at least that long
                }
                room -= b.position();
                out.write(b.array(), 0, b.position());
                calls.add("file " + position + " +" + b.position());
                return b.position();
            }
        }

        @Override
        public boolean hasBufferedInput() {
            return false;
        }

        @Override
        public boolean closeAfterResponse() {
            return closeAfter;
        }

        /** Level-triggered readiness: bytes the exchange has not read yet. */
        boolean readable() {
            return consumed < input.length || eof;
        }

        byte[] received() {
            return out.toByteArray();
        }

        String output() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @TempDir
    Path dir;
    private Path file;
    private byte[] fileBytes;
    private final List<String> logged = new ArrayList<>();
    private final List<Long> handledAt = new ArrayList<>();

    @BeforeEach
    void aFile() throws IOException {
        fileBytes = new byte[3000];
        new Random(24).nextBytes(fileBytes);
        file = Files.write(dir.resolve("f"), fileBytes);
    }

    /** /f: bytes 100 to 2600 of the file; /big: 5000 bytes; /p/big: 200,000 bytes of a file; else a short body. */
    private HttpExchange exchange(Window c) {
        return new HttpExchange(c, RequestLimits.DEFAULT, HEADER, IDLE, (request, now) -> {
            handledAt.add(now);
            switch (request.path()) {
                case "/f":
                    return new HttpResponse(200).body(new HttpResponse.FileRegion(file, 100, 2500));
                case "/big":
                    byte[] big = new byte[5000];
                    Arrays.fill(big, (byte) 'b');
                    return new HttpResponse(200).body(big);
                case "/p/big":
                    return new HttpResponse(200).body(new HttpResponse.FileRegion(dir.resolve("big"), 12345, 200_000));
                default:
                    return new HttpResponse(200).body(("body of " + request.path()).getBytes(StandardCharsets.US_ASCII));
            }
        }, (request, status, bytes) -> logged.add((request == null ? "-" : request.path()) + " " + status + " " + bytes),
                "test");
    }

    private static String withoutDates(String s) {
        return DATE.matcher(s).replaceAll("Date: -\r\n");
    }

    private static List<Integer> statuses(String output) {
        List<Integer> s = new ArrayList<>();
        Matcher m = STATUS.matcher(output);
        while (m.find()) {
            s.add(Integer.parseInt(m.group(1)));
        }
        return s;
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }

    /** The bytes of the last {@link #blockingReference}, Date headers included. */
    private int referenceBytes;

    /** What a blocking connection with all of the input there receives (Dates left out); the listener is told too. */
    private String blockingReference(String input, Outcome expected) throws IOException {
        Window c = new Window().arrive(input);
        assertEquals(expected, exchange(c).serve(System.nanoTime() + IDLE.toNanos(), new byte[16384]));
        referenceBytes = c.out.size();
        return withoutDates(c.output());
    }

    /**
     * An owner with level-triggered readiness: the exchange reads a request body no further
     * than its end and does not read after a response when it holds nothing, so a
     * connection with bytes still unread brings it back at once.
     */
    private static Outcome turn(HttpExchange e, Window c, long now, byte[] scratch) throws IOException {
        Outcome outcome;
        do {
            outcome = e.resume(now, scratch);
        } while (outcome == Outcome.WAIT_READ && c.readable());
        return outcome;
    }

    private static void scramble(byte[] scratch) {
        Arrays.fill(scratch, (byte) '\n'); // the thread's buffer has served other connections since
    }

    private static final String BURST = get("/a") + "HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n" + get("/f") + get("/big")
            + "GET /zz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";

    @Test
    void everyResponseByteIsAWouldBlockPointAndTheClientGetsTheSameBytes() throws IOException {
        String reference = blockingReference(BURST, Outcome.CLOSE);
        List<String> referenceLog = List.copyOf(logged);
        assertEquals(List.of(200, 200, 200, 200, 200, 200), statuses(reference));
        int total = referenceBytes;
        byte[] scratch = new byte[16384];
        for (int k = 0; k < total; k++) {
            logged.clear();
            Window c = new Window().arrive(BURST);
            c.room = k;
            HttpExchange e = exchange(c);
            assertEquals(Outcome.WAIT_WRITE, e.resume(T0, scratch), "window of " + k);
            assertEquals(k, c.out.size());
            assertTrue(e.holdsBuffers());
            scramble(scratch);
            c.room = Long.MAX_VALUE;
            assertEquals(Outcome.CLOSE, e.resume(T0 + MS, scratch), "window of " + k);
            assertEquals(reference, withoutDates(c.output()), "window of " + k);
            assertEquals(referenceLog, logged, "window of " + k);
            assertFalse(e.holdsBuffers());
        }
    }

    @Test
    void aClientThatTakesOneByteATimeGetsTheSameBytes() throws IOException {
        String reference = blockingReference(BURST, Outcome.CLOSE);
        List<String> referenceLog = List.copyOf(logged);
        logged.clear();
        Window c = new Window().arrive(BURST);
        HttpExchange e = exchange(c);
        byte[] scratch = new byte[16384];
        long t = T0;
        int turns = 0;
        Outcome outcome;
        do {
            c.room = 1;
            scramble(scratch);
            outcome = e.resume(t += MS, scratch);
            turns++;
            if (outcome == Outcome.WAIT_WRITE) {
                assertEquals(t + IDLE.toNanos(), e.deadlineNanos(), "the client took a byte: the send timeout restarts");
            }
        } while (outcome == Outcome.WAIT_WRITE);
        assertEquals(Outcome.CLOSE, outcome);
        assertEquals(reference, withoutDates(c.output()));
        assertEquals(referenceLog, logged);
        assertEquals(c.out.size(), turns, "one byte a turn");
    }

    @Test
    void aHeadIsWrittenWithMoreBeforeItsFileAndEachTransferStartsWhereTheLastEnded() throws IOException {
        Window c = new Window().arrive(get("/f"));
        HttpExchange e = exchange(c);
        c.room = 50; // inside the head
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0, new byte[16384]));
        int head = new HttpResponse(200).body(new HttpResponse.FileRegion(file, 100, 2500))
                .head("HTTP/1.1", HttpDate.now(T0), "test").length;
        c.room = head - 50 + 1000; // the rest of the head and 1,000 bytes of the file
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0 + MS, new byte[16384]));
        c.room = 700;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0 + 2 * MS, new byte[16384]));
        c.room = Long.MAX_VALUE;
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + 3 * MS, new byte[16384]));
        assertEquals(List.of("write 50 of " + head + " more", "write 0 of " + (head - 50) + " more",
                "write " + (head - 50) + " of " + (head - 50) + " more", "file 100 +1000", "file 1100 +0",
                "file 1100 +700", "file 1800 +0", "file 1800 +800"), c.calls);
        byte[] received = c.received();
        assertArrayEquals(Arrays.copyOfRange(fileBytes, 100, 2600),
                Arrays.copyOfRange(received, received.length - 2500, received.length));
        assertEquals(List.of("/f 200 2500"), logged);
    }

    @Test
    void aLargeFileBodyResumesAtTheRightOffsetWhateverTheWindow() throws IOException {
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Files.write(dir.resolve("big"), big);
        byte[] region = Arrays.copyOfRange(big, 12345, 12345 + 200_000);
        for (long window : new long[] {4096, 16385, 65536, 65537, 99991}) {
            logged.clear();
            Window c = new Window().arrive(get("/p/big"));
            HttpExchange e = exchange(c);
            long t = T0;
            int turns = 0;
            Outcome outcome;
            do {
                c.room = window;
                outcome = e.resume(t += MS, new byte[16384]);
                turns++;
            } while (outcome == Outcome.WAIT_WRITE);
            assertEquals(Outcome.WAIT_READ, outcome);
            byte[] received = c.received();
            assertArrayEquals(region, Arrays.copyOfRange(received, received.length - region.length, received.length),
                    "window of " + window);
            assertEquals((received.length + window - 1) / window, turns,
                    "every turn filled the window: window of " + window);
            assertEquals(List.of("/p/big 200 200000"), logged);
        }
    }

    @Test
    void aPipelinedBurstSplitAtEveryByteGetsTheSameAnswers() throws IOException {
        String burst = get("/a") + "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
                + "\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                + "GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
        String reference = blockingReference(burst, Outcome.CLOSE);
        List<String> referenceLog = List.copyOf(logged);
        assertEquals(5, referenceLog.size(), referenceLog.toString());
        byte[] scratch = new byte[16384];
        for (int i = 1; i < burst.length(); i++) {
            logged.clear();
            Window c = new Window().arrive(burst.substring(0, i));
            HttpExchange e = exchange(c);
            assertEquals(Outcome.WAIT_READ, turn(e, c, T0, scratch), "split at " + i);
            scramble(scratch);
            c.arrive(burst.substring(i));
            assertEquals(Outcome.CLOSE, turn(e, c, T0 + MS, scratch), "split at " + i);
            assertEquals(reference, withoutDates(c.output()), "split at " + i);
            assertEquals(referenceLog, logged, "split at " + i);
        }
        // And one byte a turn, through a window of one byte too.
        logged.clear();
        Window c = new Window();
        HttpExchange e = exchange(c);
        long t = T0;
        for (int i = 0; i < burst.length(); i++) {
            c.arrive(burst.substring(i, i + 1));
            Outcome outcome;
            do {
                c.room = 1;
                scramble(scratch);
                outcome = turn(e, c, t += MS, scratch);
            } while (outcome == Outcome.WAIT_WRITE);
            assertEquals(i == burst.length() - 1 ? Outcome.CLOSE : Outcome.WAIT_READ, outcome, "byte " + i);
        }
        assertEquals(reference, withoutDates(c.output()));
        assertEquals(referenceLog, logged);
    }

    @Test
    void aTricklingHeadWaitsForReadsUnderItsHeaderDeadlineInAScratchSmallerThanItself() throws IOException {
        String head = "GET /a HTTP/1.1\r\nHost: h\r\nX-Pad: " + "p".repeat(100) + "\r\n\r\n";
        for (int scratchSize : new int[] {16, 16384}) {
            byte[] scratch = new byte[scratchSize];
            handledAt.clear();
            Window c = new Window();
            HttpExchange e = exchange(c);
            assertEquals(Outcome.WAIT_READ, e.resume(T0, scratch));
            assertEquals(T0 + IDLE.toNanos(), e.deadlineNanos(), "idle from the first turn");
            assertTrue(e.idle());
            long first = T0 + 3 * SECOND;
            for (int i = 0; i < head.length() - 1; i++) {
                c.arrive(head.substring(i, i + 1));
                scramble(scratch);
                assertEquals(Outcome.WAIT_READ, e.resume(first + i * MS, scratch));
                assertEquals(first + HEADER.toNanos(), e.deadlineNanos(), "from the head's first byte, byte " + i);
                assertFalse(e.idle());
                assertTrue(e.holdsBuffers());
            }
            assertEquals("", c.output());
            c.arrive(head.substring(head.length() - 1));
            long last = first + head.length() * MS;
            assertEquals(Outcome.WAIT_READ, e.resume(last, scratch));
            assertEquals(List.of(200), statuses(c.output()));
            assertEquals(List.of(last), handledAt, "the handler gets the owner's clock");
            assertEquals(last + IDLE.toNanos(), e.deadlineNanos(), "idle from the end of the response");
            assertTrue(e.idle());
            assertFalse(e.holdsBuffers());
        }
    }

    @Test
    void aHeadNotFinishedByItsDeadlineGets408() throws IOException {
        Window c = new Window().arrive("GET /a HTTP/1.1\r\nHo");
        HttpExchange e = exchange(c);
        assertEquals(Outcome.WAIT_READ, e.resume(T0, new byte[16384]));
        long deadline = e.deadlineNanos();
        assertEquals(T0 + HEADER.toNanos(), deadline);
        assertEquals(Outcome.WAIT_READ, e.expire(deadline - 1), "not yet");
        assertEquals("", c.output());
        c.room = 10; // and the 408 itself meets a full window
        assertEquals(Outcome.WAIT_WRITE, e.expire(deadline));
        assertEquals(deadline + IDLE.toNanos(), e.deadlineNanos(), "now the send timeout");
        c.room = Long.MAX_VALUE;
        assertEquals(Outcome.CLOSE, e.resume(deadline + SECOND, new byte[16384]));
        assertEquals(List.of(408), statuses(c.output()));
        assertTrue(c.output().contains("Connection: close"), c.output());
        assertEquals(1, logged.size());
        assertTrue(logged.get(0).startsWith("- 408 "), logged.toString());
        assertFalse(e.holdsBuffers());
        assertEquals(Outcome.CLOSE, e.resume(deadline + 2 * SECOND, new byte[16384]));
    }

    @Test
    void anIdleConnectionWhoseDeadlinePassesClosesQuietly() throws IOException {
        Window c = new Window();
        HttpExchange e = exchange(c);
        assertEquals(Outcome.WAIT_READ, e.resume(T0, new byte[16384]));
        c.arrive(get("/big"));
        c.room = 100;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0 + SECOND, new byte[16384]));
        c.room = Long.MAX_VALUE;
        long end = T0 + 3 * SECOND;
        assertEquals(Outcome.WAIT_READ, e.resume(end, new byte[16384]));
        assertEquals(end + IDLE.toNanos(), e.deadlineNanos(), "the idle timeout runs from the end of the response");
        int sent = c.out.size();
        assertEquals(Outcome.WAIT_READ, e.expire(end + IDLE.toNanos() - 1));
        assertEquals(Outcome.CLOSE, e.expire(end + IDLE.toNanos()));
        assertEquals(sent, c.out.size(), "nothing more is sent");
        assertEquals(List.of("/big 200 5000"), logged);
        assertFalse(e.holdsBuffers());
    }

    @Test
    void theSendDeadlineMovesWhenTheClientTakesBytesAndEndsTheConnectionWhenItDoesNot() throws IOException {
        Window c = new Window().arrive(get("/big"));
        HttpExchange e = exchange(c);
        c.room = 1000;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0, new byte[16384]));
        assertEquals(T0 + IDLE.toNanos(), e.deadlineNanos());
        c.room = 0; // woken, but nothing taken
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0 + 30 * SECOND, new byte[16384]));
        assertEquals(T0 + IDLE.toNanos(), e.deadlineNanos(), "no progress: the deadline stays");
        long t = T0 + 50 * SECOND;
        c.room = 500;
        assertEquals(Outcome.WAIT_WRITE, e.resume(t, new byte[16384]));
        assertEquals(t + IDLE.toNanos(), e.deadlineNanos(), "progress: the deadline moves");
        assertEquals(Outcome.WAIT_WRITE, e.expire(T0 + IDLE.toNanos()), "the old deadline is no longer the one");
        assertEquals(Outcome.CLOSE, e.expire(t + IDLE.toNanos()));
        assertEquals(1500, c.out.size());
        assertEquals(List.of(), logged, "a response not sent whole is not logged as sent");
        assertFalse(e.holdsBuffers());
    }

    @Test
    void aRequestBodyIsDroppedAcrossTurnsWithinTheHeadsDeadline() throws IOException {
        Window c = new Window().arrive("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n" + "x".repeat(10));
        HttpExchange e = exchange(c);
        assertEquals(Outcome.WAIT_READ, e.resume(T0, new byte[16384]));
        assertEquals(T0 + HEADER.toNanos(), e.deadlineNanos());
        c.arrive("x".repeat(15000));
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + SECOND, new byte[16384]));
        assertEquals(T0 + HEADER.toNanos(), e.deadlineNanos(), "the body does not move the deadline");
        assertFalse(e.idle());
        c.arrive("x".repeat(4990) + get("/a"));
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + 2 * SECOND, new byte[16384]));
        assertEquals(List.of("/p 200 10"), logged);
        // The body is read to its end and no further: the next request is still in the
        // connection, and (level-triggered) readiness brings the owner back for it.
        assertTrue(e.idle());
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + 3 * SECOND, new byte[16384]));
        assertEquals(List.of("/p 200 10", "/a 200 10"), logged);
        // A body that stops coming: a quiet end.
        Window d = new Window().arrive("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\nabc");
        HttpExchange f = exchange(d);
        assertEquals(Outcome.WAIT_READ, f.resume(T0, new byte[16384]));
        assertEquals(Outcome.CLOSE, f.expire(f.deadlineNanos()));
        assertEquals("", d.output());
    }

    @Test
    void errorsAreSentThroughAFullWindowAndThenClose() throws IOException {
        for (String bad : new String[] {"GARBAGE\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: " + (HttpExchange.MAX_DISCARDED_BODY + 1) + "\r\n\r\n"}) {
            Window c = new Window().arrive(bad);
            c.room = 7;
            HttpExchange e = exchange(c);
            assertEquals(Outcome.WAIT_WRITE, e.resume(T0, new byte[16384]));
            c.room = Long.MAX_VALUE;
            assertEquals(Outcome.CLOSE, e.resume(T0 + MS, new byte[16384]));
            assertEquals(withoutDates(blockingReference(bad, Outcome.CLOSE)), withoutDates(c.output()));
            assertFalse(e.holdsBuffers());
        }
    }

    @Test
    void aFileThatShrinksBetweenTurnsEndsTheExchange() throws IOException {
        Window c = new Window().arrive(get("/f") + get("/a"));
        HttpExchange e = exchange(c);
        c.room = 1000;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0, new byte[16384]));
        Files.write(file, Arrays.copyOf(fileBytes, 1500));
        c.room = Long.MAX_VALUE;
        IOException failure = assertThrows(IOException.class, () -> e.resume(T0 + MS, new byte[16384]));
        assertTrue(failure.getMessage().contains("shrank while being sent"), failure.getMessage());
        assertTrue(failure.getMessage().contains("(1400 of 2500)"), failure.getMessage());
        assertFalse(e.holdsBuffers());
        assertEquals(Outcome.CLOSE, e.resume(T0 + 2 * MS, new byte[16384]));
        assertEquals(List.of(200), statuses(c.output()), "the pipelined request is not answered");
    }

    @Test
    void anOwnerThatMustCloseEndsAfterTheResponseInProgress() throws IOException {
        Window c = new Window().arrive(get("/big") + get("/a"));
        HttpExchange e = exchange(c);
        c.room = 10;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0, new byte[16384]));
        c.closeAfter = true; // the server began to stop
        c.room = Long.MAX_VALUE;
        assertEquals(Outcome.CLOSE, e.resume(T0 + MS, new byte[16384]));
        assertEquals(List.of("/big 200 5000"), logged);
        assertFalse(e.holdsBuffers());
    }

    @Test
    void anExchangeKeepsNoBufferWhenIdleAndTheScratchIsNeverKept() throws IOException {
        Window c = new Window();
        HttpExchange e = exchange(c);
        byte[] scratch = new byte[16384];
        assertEquals(Outcome.WAIT_READ, e.resume(T0, scratch));
        assertFalse(e.holdsBuffers());
        c.arrive(get("/a") + get("/b") + "GET /c HT");
        c.room = 5;
        assertEquals(Outcome.WAIT_WRITE, e.resume(T0 + MS, scratch));
        assertTrue(e.holdsBuffers(), "a response in progress and pipelined bytes");
        scramble(scratch);
        c.room = Long.MAX_VALUE;
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + 2 * MS, scratch));
        assertTrue(e.holdsBuffers(), "the start of /c");
        assertFalse(e.idle());
        scramble(scratch);
        c.arrive("TP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(Outcome.WAIT_READ, e.resume(T0 + 3 * MS, scratch));
        assertEquals(List.of("/a 200 10", "/b 200 10", "/c 200 10"), logged);
        assertTrue(e.idle());
        assertFalse(e.holdsBuffers());
        assertNotEquals(0, c.out.size());
    }
}
