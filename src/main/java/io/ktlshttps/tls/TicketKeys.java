package io.ktlshttps.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that seal session tickets: AES-256-GCM (the JDK's), each key with a 16-byte
 * name that goes in front of the ticket so that the right key is tried. A ticket is
 * {@code name(16) || nonce(12) || ciphertext || tag(16)}, with the name as associated data.
 *
 * <p>Two sources:
 * <ul>
 * <li><b>Random</b> (the default): a fresh key at start, replaced every {@code rotation};
 *     the key it replaced still opens tickets for one more rotation period, so a ticket
 *     sealed just before a rotation stays good for its whole lifetime when the period is at
 *     least the ticket lifetime (the server sets it so). Keys never leave the process: a
 *     restart ends every ticket, like nginx without ssl_session_ticket_key.</li>
 * <li><b>A key file</b> ({@code --ticket-key}, the format of nginx's
 *     {@code ssl_session_ticket_key}: 48 or 80 bytes, the first 16 of them the key name):
 *     fixed, never rotated, so that several servers with the same file open each other's
 *     tickets. The AES-256 key is SHA-256 over the file's other bytes (so both sizes give a
 *     256-bit key and every byte counts); our tickets are not nginx's, only the file is.
 *     Rotating it is the operator's, by replacing the file and restarting.</li>
 * </ul>
 * Thread-safe. Age is not checked here: the ticket's contents carry their creation time
 * ({@link SessionTickets}).
 */
public final class TicketKeys {
    static final int NAME_LENGTH = 16;
    private static final int KEY_LENGTH = 32;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    /** The smallest sealed ticket: name, nonce and tag around an empty plaintext. */
    static final int OVERHEAD = NAME_LENGTH + NONCE_LENGTH + TAG_BITS / 8;

    /** One key: its name (sent in the clear in every ticket) and its AES-256 key. */
    public record Key(byte[] name, byte[] aesKey) {
        public Key {
            if (name.length != NAME_LENGTH || aesKey.length != KEY_LENGTH) {
                throw new IllegalArgumentException("a ticket key is a 16-byte name and a 32-byte AES key");
            }
            name = name.clone();
            aesKey = aesKey.clone();
        }

        static Key random(SecureRandom random) {
            byte[] name = new byte[NAME_LENGTH];
            byte[] key = new byte[KEY_LENGTH];
            random.nextBytes(name);
            random.nextBytes(key);
            return new Key(name, key);
        }

        /**
         * The key in a file of nginx's ssl_session_ticket_key format: 48 or 80 bytes,
         * key name first.
         *
         * @throws IOException with a one-line message (no path: the caller names the option and file)
         */
        public static Key read(Path file) throws IOException {
            byte[] bytes;
            try {
                if (Files.isDirectory(file)) {
                    throw new IOException("a directory, not a key file");
                }
                if (Files.size(file) > 4096) {
                    throw new IOException("expected 48 or 80 bytes (nginx's ssl_session_ticket_key format), found "
                            + Files.size(file));
                }
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new IOException("no such file");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new IOException("permission denied");
            }
            try {
                return fromFileBytes(bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }

        /** As {@link #read}, from the file's bytes. */
        static Key fromFileBytes(byte[] bytes) throws IOException {
            if (bytes.length != 48 && bytes.length != 80) {
                throw new IOException("expected 48 or 80 bytes (nginx's ssl_session_ticket_key format, e.g."
                        + " openssl rand 80 > FILE), found " + bytes.length);
            }
            byte[] name = Arrays.copyOf(bytes, NAME_LENGTH);
            MessageDigest sha256;
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
            sha256.update("ktls-https ticket key".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha256.update(bytes, NAME_LENGTH, bytes.length - NAME_LENGTH);
            byte[] aes = sha256.digest();
            try {
                return new Key(name, aes);
            } finally {
                Arrays.fill(aes, (byte) 0);
            }
        }
    }

    private final SecureRandom random;
    private final LongSupplier nanoClock;
    /** 0 for a fixed key (a key file). */
    private final long rotationNanos;
    private Key current;
    private Key previous;
    private long currentSince;

    private TicketKeys(Key first, long rotationNanos, SecureRandom random, LongSupplier nanoClock) {
        this.random = random;
        this.nanoClock = nanoClock;
        this.rotationNanos = rotationNanos;
        this.current = first;
        this.currentSince = nanoClock.getAsLong();
    }

    /** A random key now, and a new one every {@code rotation}. */
    public static TicketKeys random(Duration rotation) {
        return random(rotation, new SecureRandom(), System::nanoTime);
    }

    static TicketKeys random(Duration rotation, SecureRandom random, LongSupplier nanoClock) {
        if (rotation.isNegative() || rotation.isZero()) {
            throw new IllegalArgumentException("ticket key rotation must be positive");
        }
        return new TicketKeys(Key.random(random), rotation.toNanos(), random, nanoClock);
    }

    /** One fixed key (a --ticket-key file): never rotated. */
    public static TicketKeys fixed(Key key) {
        return new TicketKeys(key, 0, new SecureRandom(), System::nanoTime);
    }

    /** Whether the keys rotate (random keys) or stay (a key file). */
    public boolean rotates() {
        return rotationNanos > 0;
    }

    /** The rotation period; zero for a fixed key. */
    public Duration rotation() {
        return Duration.ofNanos(rotationNanos);
    }

    /** Replaces the current key once its period is over; the one before it is then dropped. */
    private void rotate() {
        if (rotationNanos == 0) {
            return;
        }
        long now = nanoClock.getAsLong();
        long age = now - currentSince;
        if (age < rotationNanos) {
            return;
        }
        // A key that stopped sealing a whole period ago opens nothing any more.
        previous = age < 2 * rotationNanos ? current : null;
        current = Key.random(random);
        currentSince = now;
    }

    /** Seals the plaintext under the current key. */
    public byte[] seal(byte[] plaintext) {
        Key key;
        byte[] nonce = new byte[NONCE_LENGTH];
        synchronized (this) {
            rotate();
            key = current;
            random.nextBytes(nonce);
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.aesKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(key.name);
            byte[] sealed = new byte[NAME_LENGTH + NONCE_LENGTH + gcm.getOutputSize(plaintext.length)];
            System.arraycopy(key.name, 0, sealed, 0, NAME_LENGTH);
            System.arraycopy(nonce, 0, sealed, NAME_LENGTH, NONCE_LENGTH);
            gcm.doFinal(plaintext, 0, plaintext.length, sealed, NAME_LENGTH + NONCE_LENGTH);
            return sealed;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM from the JDK failed", e);
        }
    }

    /**
     * The plaintext of a ticket sealed by the current or the previous key; null if no key
     * of ours has its name, or it does not authenticate (tampered, truncated, garbage).
     */
    public byte[] open(byte[] ticket) {
        if (ticket == null || ticket.length < OVERHEAD) {
            return null;
        }
        Key key;
        synchronized (this) {
            rotate();
            key = matches(current, ticket) ? current : matches(previous, ticket) ? previous : null;
        }
        if (key == null) {
            return null;
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.aesKey, "AES"),
                    new GCMParameterSpec(TAG_BITS, ticket, NAME_LENGTH, NONCE_LENGTH));
            gcm.updateAAD(ticket, 0, NAME_LENGTH);
            return gcm.doFinal(ticket, NAME_LENGTH + NONCE_LENGTH, ticket.length - NAME_LENGTH - NONCE_LENGTH);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM from the JDK failed", e);
        }
    }

    private static boolean matches(Key key, byte[] ticket) {
        return key != null && Arrays.equals(key.name, 0, NAME_LENGTH, ticket, 0, NAME_LENGTH);
    }

    /** The name of the key sealing now: for tests and the banner (names are public, in every ticket). */
    synchronized byte[] currentName() {
        rotate();
        return current.name.clone();
    }
}
