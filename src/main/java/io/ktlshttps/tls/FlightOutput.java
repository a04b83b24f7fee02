package io.ktlshttps.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The handshake's output, held until the handshake reads or ends, so that each flight of
 * handshake messages leaves in one send(2) instead of one per record: BouncyCastle writes
 * and flushes every record on its own, and a TLS 1.2 server's first flight (ServerHello,
 * Certificate, ServerKeyExchange, ServerHelloDone) was four sends and four TCP segments.
 * Once the handshake is over it passes writes straight through.
 */
final class FlightOutput extends OutputStream {
    private final OutputStream out;
    private byte[] held = new byte[4096];
    private int length;
    private boolean holding = true;
    private final Runnable sent;

    FlightOutput(OutputStream out) {
        this(out, () -> { });
    }

    /** {@code sent} runs after each flight leaves (before any read that waits for the answer). */
    FlightOutput(OutputStream out, Runnable sent) {
        this.out = out;
        this.sent = sent;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (!holding) {
            out.write(b, off, len);
            return;
        }
        if (length + len > held.length) {
            held = Arrays.copyOf(held, Math.max(held.length * 2, length + len));
        }
        System.arraycopy(b, off, held, length, len);
        length += len;
    }

    /** BouncyCastle flushes after every record: held bytes wait for {@link #send} instead. */
    @Override
    public void flush() throws IOException {
        if (!holding) {
            out.flush();
        }
    }

    /** Sends what is held: before the handshake waits for the peer, who answers only what it has received. */
    void send() throws IOException {
        if (length > 0) {
            int n = length;
            length = 0;
            out.write(held, 0, n);
            sent.run();
        }
    }

    /** The handshake is over (done or failed): sends what is held, and from now on every write at once. */
    void passThrough() throws IOException {
        holding = false;
        byte[] last = held;
        int n = length;
        held = new byte[0];
        length = 0;
        if (n > 0) {
            out.write(last, 0, n);
            sent.run();
        }
    }

    /** The handshake's input, unchanged except that the held flight is sent before every read. */
    InputStream input(InputStream in) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                send();
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                send();
                return in.read(b, off, len);
            }

            @Override
            public int available() throws IOException {
                return in.available();
            }
        };
    }
}
