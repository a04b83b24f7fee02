package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.KernelTlsChannel;
import io.ktlshttps.net.TlsAlert;
import io.ktlshttps.net.TlsAlertException;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.KernelServerTest;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS 1.3 KeyUpdate from a real client: the JDK's SSLSocket sends one (with
 * update_requested) when startHandshake() is called again. On kernels that can rekey
 * (Linux 6.14+) the server installs the next keys in both directions and the
 * conversation goes on; on older kernels it ends with internal_error, never with
 * mis-decrypted data.
 */
class KernelKeyUpdateKernelTest extends KernelServerTest {
    /** Linux 6.14 added TLS 1.3 rekeying (../shared/KERNEL-TLS-LAB.md). */
    static boolean kernelCanRekey() {
        return kernelAtLeast(6, 14);
    }

    static List<TestSuites> tls13() {
        return Stream.of(TestSuites.values()).filter(s -> s.version == TlsVersion.TLS_1_3 && s.jdkName != null
                && KernelTls.supports(s.version, s.cipher)).collect(Collectors.toList());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @MethodSource("tls13")
    void keyUpdateFromTheJdkClient(TestSuites suite) throws Exception {
        boolean rekeys = kernelCanRekey();
        try (ServerThread<Object> serving = server.serve(suite, accepted -> {
                try (KernelTlsChannel channel = accepted.handOff()) {
                    byte[] buffer = new byte[3];
                    assertEquals(3, channel.read(buffer, 0, 3));
                    channel.write(buffer, 0, 3, false);
                    if (!rekeys) {
                        return assertThrows(TlsAlertException.class, () -> channel.read(buffer, 0, 3));
                    }
                    assertEquals(3, channel.read(buffer, 0, 3)); // under the client's next key
                    channel.write(buffer, 0, 3, false); // under our next key
                    return channel.keyUpdates();
                }
            });
             SSLSocket client = (SSLSocket) TestCredentials.trustingContext(TestCredentials.ec()).getSocketFactory()
                     .createSocket("127.0.0.1", server.port())) {
            client.setSoTimeout(30_000);
            client.setEnabledProtocols(new String[] {"TLSv1.3"});
            client.setEnabledCipherSuites(new String[] {suite.jdkName});
            client.getOutputStream().write(ascii("one"));
            assertArrayEquals(ascii("one"), client.getInputStream().readNBytes(3));
            client.startHandshake(); // TLS 1.3: a KeyUpdate with update_requested
            if (rekeys) {
                client.getOutputStream().write(ascii("two"));
                assertArrayEquals(ascii("two"), client.getInputStream().readNBytes(3));
                assertEquals(1, serving.join(), "KeyUpdates followed");
            } else {
                client.getOutputStream().write(ascii("two"));
                TlsAlertException sent = (TlsAlertException) serving.join();
                assertEquals(TlsAlert.INTERNAL_ERROR, sent.description(), sent.getMessage());
            }
        }
    }
}
