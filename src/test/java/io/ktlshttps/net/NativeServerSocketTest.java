package io.ktlshttps.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.linux.Native;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * What an accepted socket starts with, on the running kernel: the listener's TCP_NODELAY
 * and timeouts (the server sets them once on the listener and none per connection), and
 * the peer's address as accept(2) wrote it (no getpeername per connection).
 */
class NativeServerSocketTest {
    /** The kernel keeps socket timeouts in jiffies: what comes back is rounded to the tick (1 to 10 ms). */
    private static void assertMillis(long expected, long actual, String... what) {
        assertTrue(Math.abs(actual - expected) <= 10, (what.length > 0 ? what[0] + ": " : "") + "expected " + expected
                + " ms, got " + actual);
    }

    @Test
    void anAcceptedSocketInheritsTheListenersNoDelayAndTimeouts() throws Exception {
        try (NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16)) {
            listener.setAcceptedDefaults(true, 1_250, 7_500);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
                    NativeSocket served = listener.accept()) {
                assertEquals(client.getLocalPort(), served.remoteAddress().getPort());
                assertTrue(Native.noDelay(served.fd()), "TCP_NODELAY");
                assertMillis(1_250, Native.timeoutMillis(served.fd(), true), "SO_RCVTIMEO");
                assertMillis(7_500, Native.timeoutMillis(served.fd(), false), "SO_SNDTIMEO");
                served.setReceiveTimeout(300); // and each can still be changed on its own
                assertMillis(300, Native.timeoutMillis(served.fd(), true));
                assertMillis(7_500, Native.timeoutMillis(served.fd(), false));
            }
            listener.setAcceptedDefaults(false, 0, 0);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
                    NativeSocket served = listener.accept()) {
                assertEquals(client.getLocalPort(), served.remoteAddress().getPort());
                assertFalse(Native.noDelay(served.fd()), "a control: the option really follows the listener");
                assertMillis(0, Native.timeoutMillis(served.fd(), true));
            }
        }
    }

    @Test
    void thePeersAddressComesFromAcceptAsGetpeernameGivesIt() throws Exception {
        // All interfaces: a dual-stack IPv6 listener where the kernel has IPv6, so an IPv4
        // client arrives as an IPv4-mapped address and must come back as plain IPv4.
        try (NativeServerSocket listener = NativeServerSocket.bind(null, 0, 16);
                Socket client = new Socket(InetAddress.getByName("127.0.0.1"), listener.localPort());
                NativeSocket served = listener.accept()) {
            InetSocketAddress peer = served.remoteAddress();
            assertEquals(Native.peerAddress(served.fd()), peer);
            assertTrue(peer.getAddress() instanceof Inet4Address, peer.toString());
            assertEquals(client.getLocalPort(), peer.getPort());
            assertEquals("127.0.0.1", peer.getAddress().getHostAddress());
        }
    }

    @Test
    void shuttingTheWriteSideTwiceIsOneFin() throws Exception {
        try (NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16);
                Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
                NativeSocket served = listener.accept()) {
            served.write(new byte[] {42}, 0, 1);
            served.shutdownOutput();
            served.shutdownOutput(); // the kernel channel after its close_notify, then the connection's owner
            client.setSoTimeout(5000);
            assertEquals(42, client.getInputStream().read());
            assertEquals(-1, client.getInputStream().read(), "end of stream after the one byte");
        }
    }

    /** After the peer's reset, shutdown says ENOTCONN; asked again (the kernel channel, then the owner), the same. */
    @Test
    void shuttingTheWriteSideOfAResetSocketFailsTheSameTwice() throws Exception {
        try (NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16)) {
            Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localPort());
            NativeSocket served = listener.accept();
            client.setSoLinger(true, 0);
            client.close(); // a reset
            served.setReceiveTimeout(5000);
            io.ktlshttps.linux.NativeException reset = org.junit.jupiter.api.Assertions.assertThrows(
                    io.ktlshttps.linux.NativeException.class, () -> served.read(new byte[1], 0, 1));
            assertTrue(reset.is(io.ktlshttps.linux.LinuxErrno.ECONNRESET), reset.getMessage());
            for (int i = 0; i < 2; i++) {
                io.ktlshttps.linux.NativeException e = org.junit.jupiter.api.Assertions.assertThrows(
                        io.ktlshttps.linux.NativeException.class, served::shutdownOutput);
                assertTrue(e.is(io.ktlshttps.linux.LinuxErrno.ENOTCONN), e.getMessage());
            }
            served.close();
        }
    }

    @Test
    void acceptWaitsPastTheListenersReceiveTimeout() throws Exception {
        // SO_RCVTIMEO on a listener bounds accept(2) too: accept must wait on, not fail.
        try (NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16)) {
            listener.setAcceptedDefaults(true, 100, 100);
            int port = listener.localPort();
            Socket[] client = new Socket[1];
            Thread late = new Thread(() -> {
                try {
                    Thread.sleep(450); // four timeouts and more
                    client[0] = new Socket(InetAddress.getLoopbackAddress(), port);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            late.start();
            try (NativeSocket served = listener.accept()) {
                late.join(5000);
                assertEquals(client[0].getLocalPort(), served.remoteAddress().getPort());
            } finally {
                if (client[0] != null) {
                    client[0].close();
                }
            }
        }
    }

    /**
     * stopAccepting wakes a thread blocked in accept(2) without closing the fd under it: the
     * fd (its number) stays the listener's until the accepting thread closes it, so no other
     * socket opened meanwhile can be given that number.
     */
    @Test
    void stopAcceptingWakesTheAcceptorAndLeavesTheFdToIt() throws Exception {
        NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16);
        int port = listener.localPort();
        java.util.concurrent.CompletableFuture<Throwable> acceptor = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (NativeSocket unexpected = listener.accept()) {
                acceptor.complete(new AssertionError("accepted " + unexpected.remoteAddress()));
            } catch (Throwable e) {
                acceptor.complete(e);
            }
        });
        t.start();
        Thread.sleep(200); // let it block in accept(2)
        listener.stopAccepting();
        Throwable woken = acceptor.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(woken instanceof java.io.IOException, "accept ended with an IOException: " + woken);
        assertEquals(port, listener.localPort(), "the fd is still the listener's");
        listener.close();
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, listener::localPort,
                "closed by its owner");
        listener.close(); // safe to repeat
    }
}
