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

    /**
     * A keep-alive client a little slower than the first brief wait (15 ms between
     * requests, as one of several connections on a busy client) is soon caught by a longer
     * wait, and stops costing a hand-off to the poller and back on every request. (Host
     * only: the record layer does not matter here, and the kernel harnesses' clients are
     * too slow to keep a 15 ms cadence.) With the 5 ms wait alone it parked after every
     * request.
     */
    @org.junit.jupiter.api.Test
    void aSteadyClientSlowerThanTheFirstBriefWaitIsNotParkedOnEveryRequest() throws Exception {
        io.ktlshttps.server.HttpsServer s = io.ktlshttps.server.HttpsServer.start(
                config(root, io.ktlshttps.testing.TestCredentials.ec()));
        try (io.ktlshttps.testing.BcTestClient client = io.ktlshttps.testing.BcTestClient.connect(s.port(),
                io.ktlshttps.testing.TestSuites.TLS13_AES_128_GCM)) {
            int requests = 30;
            long parksBefore = 0;
            for (int i = 0; i < requests; i++) {
                if (i == 3) {
                    parksBefore = s.metrics().parks.sum(); // the waits have had their misses to grow
                }
                client.output().write("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String head = readHead(client.input());
                org.junit.jupiter.api.Assertions.assertTrue(head.startsWith("HTTP/1.1 200 OK"), head);
                int length = Integer.parseInt(head.replaceAll("(?is).*\r\ncontent-length: *(\\d+).*", "$1"));
                client.input().readNBytes(length);
                Thread.sleep(15);
            }
            long parked = s.metrics().parks.sum() - parksBefore;
            org.junit.jupiter.api.Assertions.assertTrue(parked <= (requests - 3) / 3,
                    parked + " of " + (requests - 3) + " requests were parked");
        } finally {
            s.stop(java.time.Duration.ofSeconds(2));
        }
    }

    /**
     * New connections from a client that sends its ClientHello 15 ms after connecting (a
     * busy client with several connections) stop being handed to the poller for it once
     * one connection's wait has grown to catch it: each new connection starts where the
     * last catch was. With every new connection starting at the 5 ms wait, each one
     * parked for its ClientHello. Nor are they parked at their close: the JDK client's
     * close_notify and its FIN come in two segments, and with one brief wait at linger
     * the first one alone sent 11 to 13 of the 20 connections to the poller.
     */
    @org.junit.jupiter.api.Test
    void newConnectionsFromASlowClientStartTheirWaitWhereTheLastCatchWas() throws Exception {
        io.ktlshttps.server.HttpsServer s = io.ktlshttps.server.HttpsServer.start(
                config(root, io.ktlshttps.testing.TestCredentials.ec()));
        try {
            javax.net.ssl.SSLSocketFactory tls = io.ktlshttps.testing.TestCredentials
                    .trustingContext(io.ktlshttps.testing.TestCredentials.ec()).getSocketFactory();
            int connections = 24;
            long parksBefore = 0;
            for (int i = 0; i < connections; i++) {
                if (i == 4) {
                    parksBefore = s.metrics().parks.sum(); // the first ones have grown the wait
                }
                try (java.net.Socket tcp = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), s.port())) {
                    tcp.setTcpNoDelay(true);
                    Thread.sleep(15);
                    try (javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) tls.createSocket(tcp, "localhost",
                            s.port(), false)) {
                        client.getOutputStream().write("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        String response = new String(client.getInputStream().readAllBytes(),
                                java.nio.charset.StandardCharsets.ISO_8859_1);
                        org.junit.jupiter.api.Assertions.assertTrue(response.startsWith("HTTP/1.1 200 OK")
                                && response.endsWith("small file\n"), response);
                    }
                }
            }
            long parked = s.metrics().parks.sum() - parksBefore;
            org.junit.jupiter.api.Assertions.assertTrue(parked <= (connections - 4) / 2,
                    parked + " parks for " + (connections - 4) + " new connections");
        } finally {
            s.stop(java.time.Duration.ofSeconds(2));
        }
    }

    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("the head ended early: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @AfterAll
    void nothingWentThroughTheKernel() {
        assertEquals(0, server.metrics().kernelConnections.sum());
        assertEquals(0, server.metrics().bytesSendfile.sum());
    }
}
