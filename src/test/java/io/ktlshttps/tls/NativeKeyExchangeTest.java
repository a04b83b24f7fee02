package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.linux.OpenSslX25519;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * X25519 by OpenSSL's libcrypto: RFC 7748's test vector, agreement with BouncyCastle's
 * X25519 on random keys, the refusal of small-order points with BouncyCastle's alerts, and
 * real handshakes with the JDK's client that go through it. The README's test command
 * installs openssl (and with it libcrypto), so the library must load here.
 */
class NativeKeyExchangeTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void libcryptoLoadsAndPassesTheStartCheck() {
        NativeKeyExchange probed = NativeKeyExchange.probe();
        System.out.println("native X25519: " + probed.describe());
        assertNotNull(probed.x25519(), probed.describe());
        assertEquals("native", probed.label());
        assertTrue(probed.describe().contains("OpenSSL"), probed.describe());
        NativeKeyExchange off = NativeKeyExchange.off();
        assertNull(off.x25519());
        assertEquals("bouncycastle", off.label());
    }

    /** RFC 7748, section 6.1: Alice's and Bob's keys and their shared secret. */
    @Test
    void rfc7748TestVector() {
        OpenSslX25519 x25519 = OpenSslX25519.load();
        byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] alicePublic = HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] bobPublic = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        try (OpenSslX25519.PrivateKey a = x25519.privateKey(alice); OpenSslX25519.PrivateKey b = x25519.privateKey(bob)) {
            assertArrayEquals(alicePublic, a.publicKey());
            assertArrayEquals(bobPublic, b.publicKey());
            byte[] secret = new byte[32];
            assertTrue(x25519.agree(a, bobPublic, secret));
            assertArrayEquals(shared, secret);
            assertTrue(x25519.agree(b, alicePublic, secret));
            assertArrayEquals(shared, secret);
        }
    }

    @Test
    void agreesWithBouncyCastleOnRandomKeys() {
        OpenSslX25519 x25519 = OpenSslX25519.load();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 200; i++) {
            byte[] ours = new byte[32];
            byte[] theirs = new byte[32];
            random.nextBytes(ours);
            random.nextBytes(theirs);
            byte[] ourPublic = new byte[32];
            byte[] theirPublic = new byte[32];
            X25519.scalarMultBase(ours, 0, ourPublic, 0);
            X25519.scalarMultBase(theirs, 0, theirPublic, 0);
            byte[] expected = new byte[32];
            assertTrue(X25519.calculateAgreement(theirs, 0, ourPublic, 0, expected, 0));
            try (OpenSslX25519.PrivateKey key = x25519.privateKey(ours)) {
                assertArrayEquals(ourPublic, key.publicKey());
                byte[] secret = new byte[32];
                assertTrue(x25519.agree(key, theirPublic, secret));
                assertArrayEquals(expected, secret);
            }
        }
    }

    /** u = 0 and u = 1 have small order: the secret would be all zeros, which TLS must refuse. */
    @ParameterizedTest
    @ValueSource(strings = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"})
    void smallOrderPeersAreAHandshakeFailure(String peer) throws Exception {
        byte[] point = HEX.parseHex(peer);
        byte[] zero = new byte[32];
        byte[] scalar = new byte[32];
        new SecureRandom().nextBytes(scalar);
        assertFalse(X25519.calculateAgreement(scalar, 0, point, 0, zero, 0), "BouncyCastle agrees it is small order");

        TlsAgreement agreement = nativeAgreement();
        agreement.generateEphemeral();
        agreement.receivePeerValue(point);
        TlsFatalAlert alert = assertThrows(TlsFatalAlert.class, agreement::calculateSecret);
        assertEquals(AlertDescription.handshake_failure, alert.getAlertDescription());
    }

    @Test
    void aPeerValueOfAnotherLengthIsAnIllegalParameter() throws Exception {
        TlsAgreement agreement = nativeAgreement();
        agreement.generateEphemeral();
        TlsFatalAlert alert = assertThrows(TlsFatalAlert.class, () -> agreement.receivePeerValue(new byte[31]));
        assertEquals(AlertDescription.illegal_parameter, alert.getAlertDescription());
        alert = assertThrows(TlsFatalAlert.class, () -> agreement.receivePeerValue(new byte[33]));
        assertEquals(AlertDescription.illegal_parameter, alert.getAlertDescription());
    }

    /** Two agreements through the TLS API, one native and one BouncyCastle's, make the same secret. */
    @Test
    void theNativeAgreementMeetsBouncyCastlesAcrossTheTlsApi() throws Exception {
        TlsAgreement ours = nativeAgreement();
        SequenceTrackingCrypto plain = new SequenceTrackingCrypto(new SecureRandom());
        TlsAgreement theirs = plain.createECDomain(new TlsECConfig(NamedGroup.x25519)).createECDH();
        assertFalse(theirs instanceof NativeX25519Agreement);
        byte[] ourPublic = ours.generateEphemeral();
        byte[] theirPublic = theirs.generateEphemeral();
        ours.receivePeerValue(theirPublic);
        theirs.receivePeerValue(ourPublic);
        TlsSecret a = ours.calculateSecret();
        TlsSecret b = theirs.calculateSecret();
        assertArrayEquals(b.extract(), a.extract());
    }

    /** Other groups stay in BouncyCastle. */
    @Test
    void onlyX25519GoesNative() {
        SequenceTrackingCrypto crypto = new SequenceTrackingCrypto(new SecureRandom(), NativeKeyExchange.probe());
        assertTrue(crypto.createECDomain(new TlsECConfig(NamedGroup.x25519)).createECDH()
                instanceof NativeX25519Agreement);
        assertFalse(crypto.createECDomain(new TlsECConfig(NamedGroup.secp256r1)).createECDH()
                instanceof NativeX25519Agreement);
    }

    /** The JDK's client (X25519 is its first group) handshakes through it, once per handshake. */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void theJdksClientHandshakesThroughIt(String protocol) throws Exception {
        NativeKeyExchange keyExchange = NativeKeyExchange.probe();
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.allOf(TlsVersion.class),
                EnumSet.allOf(AeadCipher.class)).withKeyExchange(keyExchange);
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 ServerThread<String> server = new ServerThread<>(() -> {
                     try (Socket s = listener.accept()) {
                         EstablishedTls tls = TlsHandshake.accept(s.getInputStream(), s.getOutputStream(), config);
                         UserSpaceTlsChannel channel = tls.userSpace(s);
                         channel.write("hi".getBytes(StandardCharsets.US_ASCII), 0, 2);
                         channel.close();
                         return tls.version().toString();
                     }
                 });
                 SSLSocket client = (SSLSocket) TestCredentials.trustingContext(config.credentials())
                         .getSocketFactory().createSocket("127.0.0.1", listener.getLocalPort())) {
                client.setEnabledProtocols(new String[] {protocol});
                assertEquals("hi", new String(client.getInputStream().readNBytes(2), StandardCharsets.US_ASCII));
                server.join();
                assertEquals(i, keyExchange.agreements(), "native X25519 agreements after " + i + " handshakes");
            }
        }
    }

    private static TlsAgreement nativeAgreement() {
        NativeKeyExchange keyExchange = NativeKeyExchange.probe();
        assertNotNull(keyExchange.x25519(), keyExchange.describe());
        TlsAgreement agreement = new SequenceTrackingCrypto(new SecureRandom(), keyExchange)
                .createECDomain(new TlsECConfig(NamedGroup.x25519)).createECDH();
        assertTrue(agreement instanceof NativeX25519Agreement);
        return agreement;
    }
}
