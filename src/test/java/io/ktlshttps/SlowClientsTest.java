package io.ktlshttps;

import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.testing.ServerLogWatch;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link SlowClientsSuite} with user-space records. */
@ExtendWith(ServerLogWatch.class)
class SlowClientsTest extends SlowClientsSuite {
    @Override
    KtlsMode mode() {
        return KtlsMode.OFF;
    }
}
