package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.ServerLogWatch;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FdOwnershipTest} on the kernel path (--ktls=required): downloads by sendfile(2) on
 * kernel TLS sockets, waiting for room, when stop() shuts them down, and no byte may reach
 * a socket that took a freed fd number afterwards.
 */
@KernelTest
@ExtendWith(ServerLogWatch.class)
class FdOwnershipKernelTest {
    @Test
    void stopNeverLetsASendfileWriteIntoAReusedFd(@TempDir Path root) throws Exception {
        FdOwnershipTest.stopNeverLetsATransferWriteIntoAReusedFd(root, KtlsMode.REQUIRED);
    }
}
