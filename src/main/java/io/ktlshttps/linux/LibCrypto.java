package io.ktlshttps.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.NativeLongByReference;
import jnr.ffi.types.size_t;

/**
 * The few calls of OpenSSL's libcrypto (1.1.1 or 3) this project makes: X25519 through
 * EVP_PKEY. Only {@link OpenSslX25519} calls it. See EVP_PKEY_new(3), EVP_PKEY_derive(3),
 * OpenSSL_version(3) and ERR_clear_error(3).
 *
 * <p>Public only because jnr-ffi defines the implementation in its own class loader,
 * which cannot see a package-private interface; nothing outside this package uses it.
 */
public interface LibCrypto {
    String OpenSSL_version(int type);

    Pointer EVP_PKEY_new_raw_private_key(int type, Pointer engine, @In byte[] key, @size_t long length);

    Pointer EVP_PKEY_new_raw_public_key(int type, Pointer engine, @In byte[] key, @size_t long length);

    int EVP_PKEY_get_raw_public_key(Pointer key, @Out byte[] out, NativeLongByReference length);

    void EVP_PKEY_free(Pointer key);

    Pointer EVP_PKEY_CTX_new(Pointer key, Pointer engine);

    void EVP_PKEY_CTX_free(Pointer context);

    int EVP_PKEY_derive_init(Pointer context);

    int EVP_PKEY_derive_set_peer(Pointer context, Pointer peer);

    int EVP_PKEY_derive(Pointer context, @Out byte[] out, NativeLongByReference length);

    void ERR_clear_error();
}
