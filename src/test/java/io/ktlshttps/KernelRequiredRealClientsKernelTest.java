package io.ktlshttps;

import io.ktlshttps.server.KernelRefusal;
import io.ktlshttps.server.KtlsMode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.KernelTls;
import io.ktlshttps.testing.KernelVersion;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.KernelTest;
import io.ktlshttps.testing.TestSuites;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.tls.MaxFragmentLength;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The real clients with --ktls=required: every connection is carried by the kernel or
 * not at all. A record-size limit the kernel cannot honour is declined in the handshake
 * (RFC 6066 lets a server), and a connection the kernel refuses ends with internal_error.
 */
@KernelTest
class KernelRequiredRealClientsKernelTest extends RealClientsSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.REQUIRED;
    }

    @Override
    String harness() {
        return "Linux " + KernelTls.kernelRelease() + ", --ktls=required";
    }

    @AfterAll
    void nothingWasServedInUserSpace() {
        assertEquals(0, server.metrics().userSpaceConnections.sum(), "--ktls=required served a connection in user space");
        assertEquals(0, server.metrics().bytesUserSpace.sum());
    }

    /** What the handshake agrees to, seen by the client: the limit only where the kernel can keep it. */
    @Test
    void maxFragmentLengthIsAgreedOnlyWhereTheKernelCanCapRecords() throws Exception {
        for (TestSuites suite : new TestSuites[] {TestSuites.TLS12_AES_128_GCM, TestSuites.TLS13_AES_128_GCM}) {
            try (BcTestClient client = BcTestClient.connect(port, suite,
                    new BcTestClient.Options().maxFragmentLength(MaxFragmentLength.pow2_9))) {
                short agreed = client.securityParameters().getMaxFragmentLength();
                assertEquals(KernelVersion.capsRecords() ? MaxFragmentLength.pow2_9 : -1, agreed, suite.toString());
                client.output().write("GET /64k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] body = body(EndToEndSuite.readToClose(client.input()));
                assertEquals(sha256, EndToEndSuite.sha256(body), suite.toString());
            }
        }
    }

    /**
     * A FIN that reaches the server before the handoff makes the kernel refuse TCP_ULP
     * (ENOTCONN). Under --ktls=required that connection is not served in user space: it
     * gets internal_error, and the refusal is counted. The client (Python's ssl over memory
     * BIOs) sends its Finished and its FIN in one TCP segment (TCP_CORK), so the socket is
     * half-closed by the time the server could hand it over.
     */
    @Test
    void aConnectionTheKernelRefusesEndsWithInternalError() throws Exception {
        long refusedBefore = server.metrics().refusalsByReason.get(KernelRefusal.INSTALL).sum();
        long userSpaceBefore = server.metrics().userSpaceConnections.sum();
        String script = java.nio.file.Path.of("src/test/resources/clients/python_fin_with_finished.py")
                .toAbsolutePath().toString();
        String answer = new String(run(java.util.List.of("python3", script, "--port", Integer.toString(port),
                "--cafile", certPem.toString()), ""), StandardCharsets.US_ASCII).trim();
        assertTrue(answer.startsWith("alert ") && answer.contains("internal"), answer);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.metrics().activeConnections.sum() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(refusedBefore + 1,
                server.metrics().refusalsByReason.get(KernelRefusal.INSTALL).sum());
        assertEquals(userSpaceBefore, server.metrics().userSpaceConnections.sum());
        io.ktlshttps.testing.Interop.record(harness(), "Python ssl", "Finished and FIN in one segment", "TLS 1.3",
                "internal_error (the kernel refuses a half-closed socket)");
    }
}
