package io.ktlshttps.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * The handshake reads whole records in one call and never a byte past the client's
 * Finished: what follows must still be in the socket for the kernel. Real sockets on the
 * running kernel; records as a client would send them, read the way BouncyCastle reads
 * them (a header, then a body).
 */
class HandshakeInputTest {
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

    /** As BouncyCastle reads: the 5-byte header, then the body it announces. */
    private static byte[] readRecord(InputStream in) throws IOException {
        byte[] header = in.readNBytes(5);
        assertEquals(5, header.length, "a whole header");
        byte[] body = in.readNBytes((header[3] & 0xff) << 8 | header[4] & 0xff);
        return concat(header, body);
    }

    private void send(byte[] bytes) throws IOException {
        client.getOutputStream().write(bytes);
        client.getOutputStream().flush();
    }

    /** Sends the bytes 100 ms from now, from another thread: a later segment of the client's flight. */
    private Thread sendLater(byte[] bytes) {
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(100);
                send(bytes);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        later.start();
        return later;
    }

    /** What is still in the socket, read past the handshake input: the kernel's share. */
    private byte[] leftInSocket(int length) throws IOException {
        byte[] rest = new byte[length];
        int n = 0;
        while (n < length) {
            int r = served.read(rest, n, length - n);
            assertEquals(true, r > 0, "the socket ended early");
            n += r;
        }
        return rest;
    }

    @Test
    void tls12FullHandshakeReadsEachFlightInOneCallAndLeavesWhatFollowsTheFinished() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        byte[] hello = record(22, 300);
        send(hello);
        assertEquals(22, input.firstByte());
        assertArrayEquals(hello, readRecord(input));
        assertEquals(1, input.socketReads(), "the first flight, no peek");

        input.serverSpoke();
        byte[] keyExchange = record(22, 70);
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(22, 40);
        byte[] request = record(23, 80);
        send(concat(keyExchange, changeCipherSpec, finished, request));
        assertArrayEquals(keyExchange, readRecord(input));
        assertArrayEquals(changeCipherSpec, readRecord(input));
        assertArrayEquals(finished, readRecord(input));
        assertEquals(3, input.socketReads(), "the second flight: one peek, one read");
        assertEquals(0, input.buffered());
        input.handshakeOver();
        assertArrayEquals(request, leftInSocket(request.length));
    }

    @Test
    void tls13StopsAtTheFirstEncryptedRecord() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        byte[] hello = record(22, 500);
        send(hello);
        assertArrayEquals(hello, readRecord(input));
        input.serverSpoke();
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(23, 53);
        byte[] request = record(23, 120);
        send(concat(changeCipherSpec, finished, request));
        assertArrayEquals(changeCipherSpec, readRecord(input));
        assertArrayEquals(finished, readRecord(input));
        assertEquals(3, input.socketReads());
        assertEquals(0, input.buffered());
        assertArrayEquals(request, leftInSocket(request.length));
    }

    @Test
    void afterAHelloRetryTheSecondHelloEndsABatchAndTheFinishedIsReadAsAsked() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        byte[] hello = record(22, 200);
        send(hello);
        assertArrayEquals(hello, readRecord(input));
        input.serverSpoke(); // a HelloRetryRequest
        byte[] changeCipherSpec = record(20, 1);
        byte[] secondHello = record(22, 250);
        byte[] finished = record(23, 53);
        byte[] request = record(23, 64);
        send(concat(changeCipherSpec, secondHello, finished, request));
        assertArrayEquals(changeCipherSpec, readRecord(input));
        assertArrayEquals(secondHello, readRecord(input));
        assertEquals(0, input.buffered(), "the batch ended at the second ClientHello");
        assertArrayEquals(finished, readRecord(input));
        assertEquals(0, input.buffered());
        assertArrayEquals(request, leftInSocket(request.length));
    }

    @Test
    void aRecordSplitAcrossSegmentsIsReadAsAskedAndTheNextBatchStartsAtAHeader() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        byte[] hello = record(22, 100);
        send(hello);
        assertArrayEquals(hello, readRecord(input));
        input.serverSpoke();
        byte[] certificate = record(22, 3000);
        byte[] keyExchange = record(22, 70);
        byte[] changeCipherSpec = record(20, 1);
        byte[] finished = record(22, 40);
        byte[] request = record(23, 33);
        byte[] rest = concat(certificate, keyExchange, changeCipherSpec, finished, request);
        send(Arrays.copyOf(rest, 1000)); // the client's flight in two segments, the first ending mid-record
        Thread later = sendLater(Arrays.copyOfRange(rest, 1000, rest.length));
        assertArrayEquals(certificate, readRecord(input));
        assertArrayEquals(keyExchange, readRecord(input));
        assertArrayEquals(changeCipherSpec, readRecord(input));
        assertArrayEquals(finished, readRecord(input));
        later.join();
        assertEquals(0, input.buffered());
        assertArrayEquals(request, leftInSocket(request.length));
    }

    @Test
    void aFirstFlightInPiecesIsReadWithoutPeeking() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        byte[] hello = record(22, 1800); // a post-quantum key share: more than one segment on a real network
        send(Arrays.copyOf(hello, 700));
        assertEquals(22, input.firstByte());
        Thread later = sendLater(Arrays.copyOfRange(hello, 700, hello.length));
        assertArrayEquals(hello, readRecord(input));
        later.join();
        assertEquals(2, input.socketReads(), "two reads, no peek, while the server has said nothing");
    }

    @Test
    void plainHttpShowsItsFirstByteAndAClosedSocketShowsTheEnd() throws Exception {
        HandshakeInput input = new HandshakeInput(served);
        send("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals('G', input.firstByte());
        assertEquals('G', input.firstByte(), "not consumed");
        client.shutdownOutput();
        assertEquals("GET / HTTP/1.1\r\n\r\n", new String(input.readAllBytes(), StandardCharsets.US_ASCII));

        try (Socket other = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
                NativeSocket otherServed = listener.accept()) {
            other.shutdownOutput();
            assertEquals(-1, new HandshakeInput(otherServed).firstByte());
        }
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
            HandshakeInput input = new HandshakeInput(served);
            EstablishedTls tls = TlsHandshake.accept(served, input, config);
            long reads = input.socketReads();
            SessionKeys keys = tls.exportKeys();
            RecordCrypto.Opened opened = new RecordCrypto(keys.receive()).open(served.inputStream());
            assertEquals(23, opened.contentType());
            return new Seen(reads, input.buffered(), opened.plaintext());
        })) {
            FlightOutput flight = new FlightOutput(client.getOutputStream());
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
            assertEquals(0, seen.buffered());
            assertArrayEquals(request, seen.plaintext());
        }
    }
}
