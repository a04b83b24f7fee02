package io.ktlshttps.net;

import io.ktlshttps.linux.NativeException;
import java.io.IOException;

/** Installing kernel TLS on a socket failed; says whether user-space records can still take over. */
public final class KernelTlsInstallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean fallbackPossible;

    KernelTlsInstallException(String message, NativeException cause, boolean fallbackPossible) {
        super(message + ": " + cause.getMessage(), cause);
        this.fallbackPossible = fallbackPossible;
    }

    private KernelTlsInstallException(String message) {
        super(message);
        this.fallbackPossible = true;
    }

    /** Kernel TLS cannot be installed for a reason found before any setsockopt: user space can take over. */
    public static KernelTlsInstallException beforeInstall(String message) {
        return new KernelTlsInstallException(message);
    }

    /** True if the socket's transmit side is untouched, so user-space TLS can continue. */
    public boolean fallbackPossible() {
        return fallbackPossible;
    }
}
