package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.ServerLogWatch;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link SlowClientsSuite} with the kernel's records: sendfile(2) that finds no room, then EPOLLOUT. */
@KernelTest
@ExtendWith(ServerLogWatch.class)
class SlowClientsKernelTest extends SlowClientsSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.REQUIRED;
    }
}
