package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/** The end-to-end suite with --ktls=off: BouncyCastle records in user space, on any kernel. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UserSpaceEndToEndTest extends EndToEndSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.OFF;
    }

    @AfterAll
    void nothingWentThroughTheKernel() {
        assertEquals(0, server.metrics().kernelConnections.sum());
        assertEquals(0, server.metrics().bytesSendfile.sum());
    }
}
