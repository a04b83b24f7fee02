package io.ktlshttps.server;

import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.TestCredentials;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * Which ciphers the server offers under --ktls=required, as a function of the kernel probe's
 * answer, on answers no kernel here gives (every test kernel takes all four ciphers for both
 * versions). {@code KernelRequiredCiphersKernelTest} checks the same on a running kernel.
 */
class RequiredCiphersTest {
    private static final Path ROOT = Path.of(".");

    /** A kernel without ChaCha20-Poly1305 (no chacha20poly1305 module). */
    private static final BiPredicate<TlsVersion, AeadCipher> NO_CHACHA = (v, c) -> c != AeadCipher.CHACHA20_POLY1305;

    private static ServerConfig config(KtlsMode mode, Set<TlsVersion> versions) {
        ServerConfig all = ServerConfig.forTest(ROOT, TestCredentials.ec(), mode);
        return new ServerConfig(all.bind(), all.port(), all.root(), all.credentials(), all.selfSigned(), mode,
                versions, all.ciphers(), all.maxConnections(), all.loops(), all.handshakeTimeout(),
                all.headerTimeout(), all.idleTimeout(), all.shutdownGrace(), all.statusAccess(), all.limits(),
                all.sendfile(), all.sessionCacheSize(), all.sessionTimeout(), all.rekeyAfterRecords(),
                all.nativeCrypto(), all.sessionTickets(), all.ticketKey());
    }

    @Test
    void requiredOffersOnlyWhatTheKernelTakes() throws Exception {
        assertEquals(EnumSet.of(AeadCipher.AES_128_GCM, AeadCipher.AES_256_GCM, AeadCipher.AES_128_CCM),
                HttpsServer.effectiveCiphers(config(KtlsMode.REQUIRED, EnumSet.allOf(TlsVersion.class)), NO_CHACHA));
    }

    @Test
    void autoOffersEverythingChosen() throws Exception {
        // A connection the kernel cannot take stays in user space.
        assertEquals(EnumSet.allOf(AeadCipher.class),
                HttpsServer.effectiveCiphers(config(KtlsMode.AUTO, EnumSet.allOf(TlsVersion.class)), NO_CHACHA));
    }

    /** One cipher list serves both versions, so a cipher must be taken for each version offered. */
    @Test
    void aCipherTheKernelTakesForOneVersionOnlyIsOfferedOnlyWhenThatVersionIsTheOnlyOne() throws Exception {
        BiPredicate<TlsVersion, AeadCipher> ccmIn13Only = (v, c) -> c != AeadCipher.AES_128_CCM
                || v == TlsVersion.TLS_1_3;
        assertTrue(!HttpsServer.effectiveCiphers(config(KtlsMode.REQUIRED, EnumSet.allOf(TlsVersion.class)),
                ccmIn13Only).contains(AeadCipher.AES_128_CCM));
        assertTrue(HttpsServer.effectiveCiphers(config(KtlsMode.REQUIRED, EnumSet.of(TlsVersion.TLS_1_3)),
                ccmIn13Only).contains(AeadCipher.AES_128_CCM));
    }

    @Test
    void requiredWithNoCipherTheKernelTakesRefusesToStart() {
        StartupException e = assertThrows(StartupException.class, () -> HttpsServer.effectiveCiphers(
                config(KtlsMode.REQUIRED, EnumSet.allOf(TlsVersion.class)), (v, c) -> false));
        assertTrue(e.getMessage().startsWith("--ktls=required, but the kernel accepts none of the chosen ciphers"),
                e.getMessage());
    }
}
