package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.testing.KernelTest;

/**
 * The real clients with --ktls=auto on a kTLS kernel: the kernel carries every
 * connection it can, and a record-size limit it cannot honour (before Linux 6.19) keeps
 * that connection in user space, counted as such.
 */
@KernelTest
class KernelRealClientsKernelTest extends RealClientsSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.AUTO;
    }

    @Override
    String harness() {
        return "Linux " + KernelTls.kernelRelease() + ", --ktls=auto";
    }
}
