package io.ktlshttps.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Stateless session tickets: what a resumption needs, sealed by {@link TicketKeys} and
 * held by the client. A ticket is good for {@link #lifetime()} after the full handshake
 * that made it (its creation time is inside, on the wall clock, so that servers sharing a
 * key file agree); one that does not open, is too old or from the future, or does not
 * parse is simply no ticket ({@link #open} answers null), and the handshake is a full one.
 * Thread-safe.
 */
public final class SessionTickets {
    /** The first byte of every plaintext: the layout below. */
    private static final int FORMAT = 1;
    /** How far in the future a creation time may be (another server's clock, behind one key file). */
    private static final long CLOCK_SKEW_MILLIS = 60_000;

    private final TicketKeys keys;
    private final Duration lifetime;
    private final LongSupplier wallClockMillis;
    /** Null while TLS 1.3 tickets are on; else why they are off (the start-up self-test failed). */
    private volatile String tls13Off;

    /**
     * What a ticket holds.
     *
     * @param version the protocol version's wire value (0x0303 TLS 1.2, 0x0304 TLS 1.3)
     * @param cipherSuite the suite of the full handshake
     * @param extendedMasterSecret TLS 1.2: whether the master secret is RFC 7627's (always, for ours)
     * @param secret TLS 1.2: the master secret; TLS 1.3: the resumption PSK
     * @param serverName the client's SNI host name, "" for none
     * @param alpn the ALPN protocol agreed, "" for none
     * @param createdMillis wall-clock time of the full handshake
     * @param ageAdd TLS 1.3: ticket_age_add (RFC 8446 section 4.6.1); 0 for TLS 1.2
     */
    public record State(int version, int cipherSuite, boolean extendedMasterSecret, byte[] secret, String serverName,
            String alpn, long createdMillis, long ageAdd) {
        public State {
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(serverName, "serverName");
            Objects.requireNonNull(alpn, "alpn");
        }

        byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(FORMAT);
                out.writeShort(version);
                out.writeInt(cipherSuite);
                out.writeBoolean(extendedMasterSecret);
                out.writeLong(createdMillis);
                out.writeInt((int) ageAdd);
                out.writeShort(secret.length);
                out.write(secret);
                out.writeUTF(serverName);
                out.writeUTF(alpn);
            } catch (IOException e) {
                throw new IllegalStateException(e); // a byte array does not fail
            }
            return bytes.toByteArray();
        }

        static State decode(byte[] plaintext) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(plaintext));
            if (in.readUnsignedByte() != FORMAT) {
                throw new IOException("another ticket format");
            }
            int version = in.readUnsignedShort();
            int suite = in.readInt();
            boolean ems = in.readBoolean();
            long created = in.readLong();
            long ageAdd = in.readInt() & 0xFFFF_FFFFL;
            byte[] secret = new byte[in.readUnsignedShort()];
            in.readFully(secret);
            String sni = in.readUTF();
            String alpn = in.readUTF();
            if (in.read() != -1) {
                throw new IOException("bytes after the ticket's contents");
            }
            return new State(version, suite, ems, secret, sni, alpn, created, ageAdd);
        }
    }

    public SessionTickets(TicketKeys keys, Duration lifetime) {
        this(keys, lifetime, System::currentTimeMillis);
    }

    SessionTickets(TicketKeys keys, Duration lifetime, LongSupplier wallClockMillis) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("ticket lifetime must be positive");
        }
        this.keys = Objects.requireNonNull(keys, "keys");
        this.lifetime = lifetime;
        this.wallClockMillis = wallClockMillis;
    }

    /**
     * Tickets good for {@code lifetime}, sealed by the key from a --ticket-key file, or
     * (null) by random keys rotated every {@code lifetime}: a key then seals for one
     * lifetime and opens for one more, as long as any ticket it sealed can live.
     */
    public static SessionTickets create(Duration lifetime, TicketKeys.Key fileKey) {
        return new SessionTickets(fileKey == null ? TicketKeys.random(lifetime) : TicketKeys.fixed(fileKey), lifetime);
    }

    /** For the banner. */
    public String describe() {
        return (tls13Off == null ? "" : "TLS 1.3 tickets off (" + tls13Off + "); ")
                + (keys.rotates() ? "a random key, rotated every " + keys.rotation().toSeconds() + " s"
                : "the key from --ticket-key (fixed)") + "; tickets good for " + lifetime.toSeconds() + " s";
    }

    /** Whether TLS 1.3 tickets are issued and accepted. */
    public boolean tls13() {
        return tls13Off == null;
    }

    /** Turns TLS 1.3 tickets off, saying why (the banner repeats it). */
    public void turnOffTls13(String why) {
        tls13Off = Objects.requireNonNull(why);
    }

    public TicketKeys keys() {
        return keys;
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** Now, on the clock that tickets' creation times are read against. */
    long nowMillis() {
        return wallClockMillis.getAsLong();
    }

    /** A sealed ticket holding this state (its secret is then zeroed in the plaintext copy). */
    byte[] seal(State state) {
        byte[] plaintext = state.encode();
        try {
            return keys.seal(plaintext);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** What the ticket holds, if it opens, parses and is within its lifetime; else null. */
    State open(byte[] ticket) {
        byte[] plaintext = keys.open(ticket);
        if (plaintext == null) {
            return null;
        }
        State state;
        try {
            state = State.decode(plaintext);
        } catch (IOException e) {
            return null;
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
        long age = nowMillis() - state.createdMillis();
        if (age > lifetime.toMillis() || age < -CLOCK_SKEW_MILLIS) {
            Arrays.fill(state.secret(), (byte) 0);
            return null;
        }
        return state;
    }
}
