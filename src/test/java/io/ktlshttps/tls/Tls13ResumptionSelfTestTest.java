package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.TestCredentials;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The start-up self-test: it passes with BouncyCastle as it is, and fails when resumption would not work. */
class Tls13ResumptionSelfTestTest {
    private static TlsServerConfig config() {
        return TlsServerConfig.defaults(TestCredentials.ec())
                .withTickets(SessionTickets.create(Duration.ofMinutes(5), null));
    }

    @Test
    void theJdksClientResumes() {
        assertNull(Tls13ResumptionSelfTest.run(config()));
    }

    /**
     * With BouncyCastle's own binder label ("ext binder"), as if the hook we rely on had
     * changed: the client's binder does not verify in BouncyCastle, the handshake fails,
     * and the self-test says so (the server then turns TLS 1.3 tickets off).
     */
    @Test
    void itFailsWhenTheBinderLabelIsBouncyCastlesOwn() {
        TlsServerConfig config = config();
        String failure = Tls13ResumptionSelfTest.run(config,
                () -> new SequenceTrackingCrypto(new SecureRandom(), NativeKeyExchange.off(), false));
        assertNotNull(failure);
        assertTrue(failure.contains("decrypt_error") || failure.contains("not resumed"), failure);
    }

    @Test
    void itFailsWhenTicketsForTls13AreOff() {
        TlsServerConfig config = config();
        config.tickets().turnOffTls13("off for the test");
        assertNotNull(Tls13ResumptionSelfTest.run(config));
    }

    @Test
    void itFailsWhenTheJdkCannotConnect() {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(TlsVersion.TLS_1_2),
                EnumSet.allOf(AeadCipher.class)).withTickets(SessionTickets.create(Duration.ofMinutes(5), null));
        String failure = Tls13ResumptionSelfTest.run(config);
        assertNotNull(failure);
        assertTrue(failure.startsWith("the JDK's client failed"), failure);
    }
}
