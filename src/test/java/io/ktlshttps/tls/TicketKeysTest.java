package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sealing and opening tickets: what opens, what does not, and the key file. */
class TicketKeysTest {
    private static final byte[] PLAINTEXT = "a session's secrets".getBytes(StandardCharsets.US_ASCII);
    private static final Duration MINUTE = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private TicketKeys rotating() {
        return TicketKeys.random(MINUTE, new SecureRandom(), nanos::get);
    }

    @Test
    void aSealedTicketOpens() {
        TicketKeys keys = rotating();
        byte[] ticket = keys.seal(PLAINTEXT);
        assertArrayEquals(PLAINTEXT, keys.open(ticket));
        assertEquals(PLAINTEXT.length + TicketKeys.OVERHEAD, ticket.length);
    }

    @Test
    void everyTamperedByteIsRefused() {
        TicketKeys keys = rotating();
        byte[] ticket = keys.seal(PLAINTEXT);
        for (int i = 0; i < ticket.length; i++) {
            byte[] tampered = ticket.clone();
            tampered[i] ^= 0x01;
            assertNull(keys.open(tampered), "byte " + i + " changed");
        }
        assertNull(keys.open(java.util.Arrays.copyOf(ticket, ticket.length - 1)), "truncated");
        assertNull(keys.open(new byte[0]));
        assertNull(keys.open(null));
    }

    @Test
    void anotherServersKeyIsRefused() {
        byte[] ticket = rotating().seal(PLAINTEXT);
        assertNull(rotating().open(ticket));
    }

    @Test
    void thePreviousKeyStillOpensForOnePeriodAndThenNot() {
        TicketKeys keys = rotating();
        byte[] name = keys.currentName();
        byte[] ticket = keys.seal(PLAINTEXT);
        nanos.addAndGet(MINUTE.toNanos()); // rotated: a new key seals
        byte[] newName = keys.currentName();
        assertFalse(java.util.Arrays.equals(name, newName), "a new key after one period");
        assertArrayEquals(PLAINTEXT, keys.open(ticket), "the previous key still opens");
        byte[] newer = keys.seal(PLAINTEXT);
        assertArrayEquals(newName, java.util.Arrays.copyOf(newer, TicketKeys.NAME_LENGTH));
        nanos.addAndGet(MINUTE.toNanos()); // rotated again: the first key is gone
        assertNull(keys.open(ticket), "two periods on, the first key opens nothing");
        assertArrayEquals(PLAINTEXT, keys.open(newer));
    }

    @Test
    void aLongIdleServerDropsBothOldKeys() {
        TicketKeys keys = rotating();
        byte[] ticket = keys.seal(PLAINTEXT);
        nanos.addAndGet(3 * MINUTE.toNanos()); // nothing sealed or opened meanwhile
        assertNull(keys.open(ticket));
    }

    @Test
    void aFixedKeyNeverRotates() throws IOException {
        TicketKeys keys = TicketKeys.fixed(TicketKeys.Key.fromFileBytes(random(80)));
        assertFalse(keys.rotates());
        assertArrayEquals(PLAINTEXT, keys.open(keys.seal(PLAINTEXT)));
    }

    @Test
    void twoServersWithOneKeyFileOpenEachOthersTickets() throws IOException {
        for (int size : new int[] {48, 80}) {
            Path file = Files.write(dir.resolve("ticket" + size + ".key"), random(size));
            TicketKeys a = TicketKeys.fixed(TicketKeys.Key.read(file));
            TicketKeys b = TicketKeys.fixed(TicketKeys.Key.read(file));
            assertArrayEquals(PLAINTEXT, b.open(a.seal(PLAINTEXT)), size + " bytes");
            byte[] other = random(size);
            assertNull(TicketKeys.fixed(TicketKeys.Key.fromFileBytes(other)).open(a.seal(PLAINTEXT)));
        }
    }

    @Test
    void everyByteOfTheKeyFileCounts() throws IOException {
        byte[] bytes = random(80);
        TicketKeys a = TicketKeys.fixed(TicketKeys.Key.fromFileBytes(bytes));
        bytes[79] ^= 1; // same name, last byte changed
        TicketKeys b = TicketKeys.fixed(TicketKeys.Key.fromFileBytes(bytes));
        assertNull(b.open(a.seal(PLAINTEXT)));
    }

    @Test
    void aKeyFileOfAnotherSizeIsRefusedWithItsSize() throws IOException {
        Path file = Files.write(dir.resolve("short.key"), random(32));
        IOException e = assertThrows(IOException.class, () -> TicketKeys.Key.read(file));
        assertTrue(e.getMessage().startsWith("expected 48 or 80 bytes"), e.getMessage());
        assertTrue(e.getMessage().endsWith("found 32"), e.getMessage());
        assertEquals("no such file",
                assertThrows(IOException.class, () -> TicketKeys.Key.read(dir.resolve("missing"))).getMessage());
    }

    @Test
    void aTicketOlderThanItsLifetimeIsRefused() {
        AtomicLong wall = new AtomicLong(1_700_000_000_000L);
        SessionTickets tickets = new SessionTickets(rotating(), Duration.ofSeconds(300), wall::get);
        byte[] ticket = tickets.seal(state(wall.get()));
        wall.addAndGet(299_000);
        SessionTickets.State opened = tickets.open(ticket);
        assertNotNull(opened);
        assertEquals("example.com", opened.serverName());
        assertEquals("http/1.1", opened.alpn());
        assertArrayEquals(new byte[48], opened.secret());
        wall.addAndGet(2_000);
        assertNull(tickets.open(ticket), "301 s old, with a lifetime of 300 s");
    }

    @Test
    void aTicketFromTheFutureIsRefused() {
        AtomicLong wall = new AtomicLong(1_700_000_000_000L);
        SessionTickets tickets = new SessionTickets(rotating(), Duration.ofSeconds(300), wall::get);
        assertNull(tickets.open(tickets.seal(state(wall.get() + 120_000))));
        assertNotNull(tickets.open(tickets.seal(state(wall.get() + 30_000))), "within the clock skew");
    }

    private static SessionTickets.State state(long created) {
        return new SessionTickets.State(0x0303, 0xC02B, true, new byte[48], "example.com", "http/1.1", created, 0);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
