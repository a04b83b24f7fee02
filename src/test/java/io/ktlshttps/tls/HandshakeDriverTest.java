package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.SessionKeys;
import io.ktlshttps.testing.RecordCrypto;
import io.ktlshttps.testing.ServerThread;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The handshake never takes a byte past the client's Finished: what follows must still be
 * in the socket for the kernel. The boundary on byte arrays (records as a client would send
 * them, in pieces too), then real handshakes over real sockets on the running kernel, with
 * BouncyCastle's client.
 */
class HandshakeDriverTest {
    private NativeServerSocket listener;
    private Socket client;
    private NativeSocket served;

    @BeforeEach
    void connect() throws IOException {
        listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 4);
        client = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
        client.setTcpNoDelay(true);
        served = listener.accept();
        served.setTimeout(10_000);
    }

    @AfterEach
    void close() throws IOException {
        served.close();
        client.close();
        listener.close();
    }

    private static byte[] record(int type, int length) {
        byte[] r = new byte[5 + length];
        r[0] = (byte) type;
        r[1] = 3;
        r[2] = 3;
        r[3] = (byte) (length >> 8);
        r[4] = (byte) length;
        for (int i = 5; i < r.length; i++) {
            r[i] = (byte) (type + i);
        }
        return r;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    private void send(byte[] bytes) throws IOException {
        client.getOutputStream().write(bytes);
        client.getOutputStream().flush();
    }

    /** What a peek shows, taken in batches as the driver takes them: each batch's length. */
    private static java.util.List<Integer> batches(FinishedBoundary boundary, byte[] arrived) {
        java.util.List<Integer> taken = new java.util.ArrayList<>();
        int at = 0;
        while (at < arrived.length) {
            byte[] seen = Arrays.copyOfRange(arrived, at, arrived.length);
            int n = boundary.upToFinished(seen, seen.length);
            boundary.taken(seen, n);
            taken.add(n);
            at += n;
            if (n == seen.length || taken.size() > 10) {
                break;
            }
        }
        return taken;
    }

    @Test
    void tls12SecondFlightIsTakenUpToTheFinishedAndNoFurther() {
        FinishedBoundary boundary = new FinishedBoundary();
        byte[] keyExchange = record(22, 70);
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(22, 40);
        byte[] request = record(23, 80);
        byte[] arrived = concat(keyExchange, changeCipherSpec, finished, request);
        int take = boundary.upToFinished(arrived, arrived.length);
        assertEquals(keyExchange.length + changeCipherSpec.length + finished.length, take);
        boundary.taken(arrived, take);
        assertTrue(boundary.atRecordBoundary());
    }

    @Test
    void tls13StopsAtTheFirstEncryptedRecord() {
        FinishedBoundary boundary = new FinishedBoundary();
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(23, 53);
        byte[] request = record(23, 120);
        byte[] arrived = concat(changeCipherSpec, finished, request);
        assertEquals(changeCipherSpec.length + finished.length, boundary.upToFinished(arrived, arrived.length));
        assertEquals(finished.length, new FinishedBoundary().upToFinished(concat(finished, request),
                finished.length + request.length), "no ChangeCipherSpec needed in TLS 1.3");
    }

    @Test
    void afterAHelloRetryTheSecondHelloEndsABatchAndTheFinishedTheNext() {
        FinishedBoundary boundary = new FinishedBoundary();
        byte[] changeCipherSpec = record(20, 1);
        byte[] secondHello = record(22, 250);
        byte[] finished = record(23, 53);
        byte[] request = record(23, 64);
        byte[] arrived = concat(changeCipherSpec, secondHello, finished, request);
        assertEquals(java.util.List.of(changeCipherSpec.length + secondHello.length, finished.length),
                batches(boundary, Arrays.copyOf(arrived, arrived.length - request.length)));
        assertTrue(boundary.atRecordBoundary());
        assertEquals(finished.length, new FinishedBoundary().upToFinished(concat(finished, request),
                finished.length + request.length));
    }

    /**
     * A record that arrives in pieces is taken piece by piece (the protocol keeps the part
     * until the rest comes), so the socket never stays readable with nothing to take; and the
     * end of the Finished is found across the pieces.
     */
    @Test
    void aRecordInPiecesIsTakenPieceByPieceUpToTheFinished() {
        FinishedBoundary boundary = new FinishedBoundary();
        byte[] certificate = record(22, 3000);
        byte[] keyExchange = record(22, 70);
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(22, 40);
        byte[] request = record(23, 33);
        byte[] all = concat(certificate, keyExchange, changeCipherSpec, finished, request);
        int upToFinished = all.length - request.length;
        int done = 0;
        for (int cut : new int[] {3, 1000, 3004, 3078, upToFinished - 20, all.length}) { // mid-header, mid-body, ...
            byte[] seen = Arrays.copyOfRange(all, done, cut);
            int take = boundary.upToFinished(seen, seen.length);
            assertEquals(Math.min(cut, upToFinished) - done, take, "bytes " + done + " to " + cut);
            boundary.taken(seen, take);
            done += take;
        }
        assertEquals(upToFinished, done);
        assertTrue(boundary.atRecordBoundary());
    }

    /** Plain HTTP: the first byte says so, and nothing is offered to the protocol. */
    @Test
    void plainHttpIsToldByItsFirstByte() throws Exception {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(io.ktlshttps.net.TlsVersion.TLS_1_3),
                EnumSet.of(io.ktlshttps.net.AeadCipher.AES_128_GCM));
        HandshakeDriver driver = TlsHandshake.start(served, config);
        assertEquals(HandshakeDriver.Progress.NEED_INPUT, driver.advance(), "nothing sent yet");
        send("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(served.readableWithin(5000));
        assertEquals(HandshakeDriver.Progress.PLAIN_HTTP, driver.advance());
    }

    /** A client that closes before or during its first flight ends the handshake with an EOFException. */
    @Test
    void aClientThatClosesEndsTheHandshake() throws Exception {
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(io.ktlshttps.net.TlsVersion.TLS_1_3),
                EnumSet.of(io.ktlshttps.net.AeadCipher.AES_128_GCM));
        HandshakeDriver driver = TlsHandshake.start(served, config);
        send(Arrays.copyOf(record(22, 300), 100)); // part of a ClientHello
        assertTrue(served.readableWithin(5000));
        assertEquals(HandshakeDriver.Progress.NEED_INPUT, driver.advance(), "the part is kept");
        client.shutdownOutput();
        assertTrue(served.readableWithin(5000));
        assertThrows(java.io.EOFException.class, driver::advance);
    }

    /** A BouncyCastle client that offers one suite and trusts the test certificate. */
    private static final class Client extends DefaultTlsClient {
        private final TestSuites suite;

        Client(TestSuites suite) {
            super(new BcTlsCrypto(new SecureRandom()));
            this.suite = suite;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return new ProtocolVersion[] {suite.bcVersion()};
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return new int[] {suite.bcSuite};
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate certificate) {
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) {
                    return null;
                }
            };
        }
    }

    private record Seen(long socketReads, int buffered, byte[] plaintext) {
    }

    /**
     * A real handshake: three socket reads (the ClientHello; a peek and a read for the
     * client's second flight), and the request the client sent in the same segment as its
     * Finished is still in the socket, whole, where the server decrypts it with the
     * exported keys as the kernel would.
     */
    @ParameterizedTest
    @EnumSource(TestSuites.class)
    void aRealHandshakeTakesThreeReadsAndLeavesTheRequestInTheSocket(TestSuites suite) throws Exception {
        byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        TlsServerConfig config = new TlsServerConfig(TestCredentials.ec(), EnumSet.of(suite.version),
                EnumSet.of(suite.cipher));
        try (ServerThread<Seen> server = new ServerThread<>(() -> {
            HandshakeDriver driver = TlsHandshake.start(served, config);
            assertTrue(served.readableWithin(10_000), "the ClientHello"); // as the server waits for it
            while (driver.advance() == HandshakeDriver.Progress.NEED_INPUT) {
                assertTrue(served.readableWithin(10_000), "the client's next flight");
            }
            long reads = driver.socketReads();
            SessionKeys keys = driver.established().exportKeys();
            RecordCrypto.Opened opened = new RecordCrypto(keys.receive()).open(served.inputStream());
            assertEquals(23, opened.contentType());
            return new Seen(reads, 0, opened.plaintext());
        })) {
            HeldOutput flight = new HeldOutput(client.getOutputStream());
            InputStream raw = client.getInputStream();
            // Sends what it holds only when it must wait for the server, as OpenSSL's client
            // does: a TLS 1.3 client's compatibility ChangeCipherSpec goes with its Finished.
            InputStream whenIdle = new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (raw.available() == 0) {
                        flight.send();
                    }
                    return raw.read(b, off, len);
                }
            };
            TlsClientProtocol protocol = new TlsClientProtocol(whenIdle, flight);
            protocol.connect(new Client(suite));
            OutputStream app = protocol.getOutputStream();
            app.write(request); // held with the client's last flight (TLS 1.3: its Finished)
            flight.send();
            Seen seen = server.join();
            assertEquals(3, seen.socketReads(), "ClientHello, then a peek and a read");
            assertArrayEquals(request, seen.plaintext());
        }
    }

    /** The client's output held until it must wait for the server: each of its flights in one segment. */
    private static final class HeldOutput extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();

        HeldOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            held.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            held.write(b, off, len);
        }

        void send() throws IOException {
            if (held.size() > 0) {
                out.write(held.toByteArray());
                out.flush();
                held.reset();
            }
        }
    }
}
