package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.TlsStat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The end-to-end suite with --ktls=required on a kTLS kernel: every connection is handed
 * to the kernel, and the kernel's own counters must show it carried the traffic.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelEndToEndKernelTest extends EndToEndSuite {
    private Map<String, Long> before;

    @Override
    KtlsMode mode() {
        return KtlsMode.REQUIRED;
    }

    @BeforeAll
    void countersBefore() throws Exception {
        before = TlsStat.read();
    }

    /** The tests' own servers too: every connection in the kernel, none in user space. */
    @Override
    void checkServer(HttpsServer s) {
        assertEquals(0, s.metrics().userSpaceConnections.sum(), "a connection fell back to user space");
        assertEquals(0, s.metrics().bytesUserSpace.sum(), "bytes went through user-space records");
        assertTrue(s.metrics().kernelConnections.sum() >= 1, "no connection reached the kernel");
    }

    @AfterAll
    void theKernelCarriedTheTraffic() throws Exception {
        Map<String, Long> after = TlsStat.read();
        ServerMetrics m = server.metrics();
        assertEquals(0, m.userSpaceConnections.sum(), "no connection fell back to user space");
        assertEquals(0, m.bytesUserSpace.sum(), "no byte went through user-space records");
        // The shared server's own share (the leak test, which made 40 more, has its own server).
        assertTrue(m.kernelConnections.sum() >= 25, "kernel connections: " + m.kernelConnections.sum());
        // Seven curl downloads, one by wget and one by HttpClient of the whole big file.
        assertTrue(m.bytesSendfile.sum() >= 9L * BIG, "sendfile bytes: " + m.bytesSendfile.sum());
        // Each kernel connection installs TX and RX in software: both counters move by at least as much.
        long tx = after.get("TlsTxSw") - before.get("TlsTxSw");
        long rx = after.get("TlsRxSw") - before.get("TlsRxSw");
        assertTrue(tx >= m.kernelConnections.sum(), "TlsTxSw moved by " + tx);
        assertTrue(rx >= m.kernelConnections.sum(), "TlsRxSw moved by " + rx);
    }
}
