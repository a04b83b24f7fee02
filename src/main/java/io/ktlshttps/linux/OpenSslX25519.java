package io.ktlshttps.linux;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.byref.NativeLongByReference;

/**
 * X25519 (RFC 7748) by OpenSSL's libcrypto, the library nginx's handshakes use, through
 * jnr-ffi. It is optional: {@link #load()} fails where libcrypto (1.1.1 or 3) is not
 * installed, and the TLS layer then keeps BouncyCastle's pure-Java X25519.
 *
 * <p>A {@link PrivateKey} holds an EVP_PKEY: close it once the agreement is done. One that
 * is never closed (a handshake abandoned between its key share and the peer's) is freed
 * once it is unreachable.
 */
public final class OpenSslX25519 {
    /** Bytes of a scalar, a public key (u-coordinate) and a shared secret. */
    public static final int KEY_SIZE = 32;
    /** EVP_PKEY_X25519 = NID_X25519, openssl/evp.h and openssl/obj_mac.h. */
    private static final int EVP_PKEY_X25519 = 1034;
    /** OPENSSL_VERSION, openssl/crypto.h. */
    private static final int OPENSSL_VERSION = 0;
    private static final String[] NAMES = {"libcrypto.so.3", "libcrypto.so.1.1", "crypto"};
    private static final Cleaner CLEANER = Cleaner.create();

    private final LibCrypto lib;
    private final String version;

    private OpenSslX25519(LibCrypto lib) {
        this.lib = lib;
        this.version = lib.OpenSSL_version(OPENSSL_VERSION);
    }

    /**
     * Loads libcrypto, with every call this class makes resolved now.
     *
     * @throws UnsatisfiedLinkError where no libcrypto with those calls loads
     */
    public static OpenSslX25519 load() {
        UnsatisfiedLinkError failure = null;
        for (String name : NAMES) {
            try {
                return new OpenSslX25519(LibraryLoader.create(LibCrypto.class).failImmediately().load(name));
            } catch (UnsatisfiedLinkError e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /** OpenSSL_version(OPENSSL_VERSION), e.g. "OpenSSL 3.0.17 1 Jul 2025". */
    public String version() {
        return version;
    }

    /**
     * The private key of these 32 bytes (OpenSSL clamps them, as RFC 7748 says), with its
     * public key computed now.
     *
     * @throws IllegalStateException where OpenSSL fails (out of memory, say)
     */
    public PrivateKey privateKey(byte[] scalar) {
        if (scalar.length != KEY_SIZE) {
            throw new IllegalArgumentException("an X25519 scalar has 32 bytes, not " + scalar.length);
        }
        Pointer key = lib.EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, null, scalar, KEY_SIZE);
        if (key == null) {
            lib.ERR_clear_error();
            throw new IllegalStateException("EVP_PKEY_new_raw_private_key failed");
        }
        byte[] publicKey = new byte[KEY_SIZE];
        NativeLongByReference length = new NativeLongByReference(KEY_SIZE);
        if (lib.EVP_PKEY_get_raw_public_key(key, publicKey, length) != 1 || length.longValue() != KEY_SIZE) {
            lib.EVP_PKEY_free(key);
            lib.ERR_clear_error();
            throw new IllegalStateException("EVP_PKEY_get_raw_public_key failed");
        }
        return new PrivateKey(lib, key, publicKey);
    }

    /**
     * Writes the shared secret of {@code key} and the peer's public key (32 bytes) into
     * {@code secret}. Returns false where OpenSSL refuses the peer's key: a point of small
     * order makes the secret all zeros, which OpenSSL rejects, and TLS must abort then (RFC
     * 8446, section 7.4.2; RFC 7748, section 6.1).
     *
     * @throws IllegalStateException where OpenSSL fails for a reason of its own
     */
    public boolean agree(PrivateKey key, byte[] peerPublicKey, byte[] secret) {
        if (peerPublicKey.length != KEY_SIZE || secret.length != KEY_SIZE) {
            throw new IllegalArgumentException("X25519 keys and secrets have 32 bytes");
        }
        Pointer own = key.handle();
        Pointer peer = lib.EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, null, peerPublicKey, KEY_SIZE);
        Pointer context = null;
        boolean agreed = false;
        try {
            if (peer == null) {
                return false;
            }
            context = lib.EVP_PKEY_CTX_new(own, null);
            if (context == null || lib.EVP_PKEY_derive_init(context) != 1) {
                throw new IllegalStateException("EVP_PKEY_CTX_new or EVP_PKEY_derive_init failed");
            }
            if (lib.EVP_PKEY_derive_set_peer(context, peer) != 1) {
                return false;
            }
            NativeLongByReference length = new NativeLongByReference(KEY_SIZE);
            agreed = lib.EVP_PKEY_derive(context, secret, length) == 1 && length.longValue() == KEY_SIZE;
            return agreed;
        } finally {
            if (context != null) {
                lib.EVP_PKEY_CTX_free(context);
            }
            if (peer != null) {
                lib.EVP_PKEY_free(peer);
            }
            if (!agreed) {
                lib.ERR_clear_error(); // the thread's error queue, so that it does not grow
            }
            Reference.reachabilityFence(key); // its Cleaner must not free it during the calls
        }
    }

    /** An X25519 private key in OpenSSL's memory, with its public key; one thread's. */
    public static final class PrivateKey implements AutoCloseable {
        private final Pointer handle;
        private final byte[] publicKey;
        private final Cleaner.Cleanable free;
        private boolean closed;

        private PrivateKey(LibCrypto lib, Pointer handle, byte[] publicKey) {
            this.handle = handle;
            this.publicKey = publicKey;
            this.free = CLEANER.register(this, new Free(lib, handle));
        }

        /** The public key, 32 bytes (a copy). */
        public byte[] publicKey() {
            return publicKey.clone();
        }

        Pointer handle() {
            if (closed) {
                throw new IllegalStateException("this X25519 key was closed");
            }
            return handle;
        }

        /** Frees the key in OpenSSL's memory; once: a later call does nothing. */
        @Override
        public void close() {
            closed = true;
            free.clean();
        }
    }

    /** Frees one EVP_PKEY: what a PrivateKey's Cleaner runs, and must not reach the key. */
    private static final class Free implements Runnable {
        private final LibCrypto lib;
        private final Pointer key;

        Free(LibCrypto lib, Pointer key) {
            this.lib = lib;
            this.key = key;
        }

        @Override
        public void run() {
            lib.EVP_PKEY_free(key);
        }
    }
}
