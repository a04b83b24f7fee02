package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A flight of handshake records leaves in one write, before the handshake reads; after it, writes pass through. */
class FlightOutputTest {
    /** Each write the socket would see, as one array. */
    private final List<byte[]> sends = new ArrayList<>();
    private final OutputStream socket = new OutputStream() {
        @Override
        public void write(int b) {
            sends.add(new byte[] {(byte) b});
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sends.add(java.util.Arrays.copyOfRange(b, off, off + len));
        }
    };

    @Test
    void recordsOfAFlightLeaveInOneSendBeforeTheNextRead() throws Exception {
        FlightOutput flight = new FlightOutput(socket);
        InputStream in = flight.input(new ByteArrayInputStream(new byte[] {42, 43}));
        flight.write(new byte[] {1, 2, 3}, 0, 3);
        flight.flush(); // as BouncyCastle does after every record
        flight.write(new byte[] {9, 4, 5, 9}, 1, 2);
        flight.flush();
        assertEquals(0, sends.size(), "held until the handshake waits for the peer");
        assertEquals(42, in.read());
        assertEquals(1, sends.size());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, sends.get(0));
        assertEquals(43, in.read(), "nothing held: nothing sent");
        assertEquals(1, sends.size());
    }

    @Test
    void theLastFlightLeavesAtTheEndAndLaterWritesPassThrough() throws Exception {
        FlightOutput flight = new FlightOutput(socket);
        byte[] big = new byte[10_000]; // more than the first buffer
        big[9_999] = 7;
        flight.write(big, 0, big.length);
        flight.write(8);
        flight.passThrough();
        assertEquals(1, sends.size());
        assertEquals(10_001, sends.get(0).length);
        assertEquals(8, sends.get(0)[10_000]);
        flight.write(new byte[] {6}, 0, 1);
        assertEquals(2, sends.size(), "after the handshake, at once");
    }
}
