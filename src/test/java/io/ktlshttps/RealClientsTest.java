package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
/** The real clients against user-space records (--ktls=off), on any host. */
class RealClientsTest extends RealClientsSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.OFF;
    }

    @Override
    String harness() {
        return "host, --ktls=off";
    }
}
