package io.ktlshttps.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** Base of the kernel test classes: one {@link KernelTestServer} per class, and kernel version checks. */
@KernelTest
@ExtendWith(ServerLogWatch.class)
public abstract class KernelServerTest {
    protected static KernelTestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new KernelTestServer();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    /** Whether the running kernel's release is at least major.minor (e.g. 6.14 for TLS 1.3 rekey). */
    public static boolean kernelAtLeast(int major, int minor) {
        return KernelVersion.atLeast(major, minor);
    }
}
