package io.ktlshttps.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The epoll selector on real loopback sockets: one-shot readiness, re-arming, cancel, wake-up, fd reuse. */
class SocketSelectorTest {
    private NativeServerSocket listener;
    private SocketSelector selector;
    private final List<NativeSocket> sockets = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 16);
        selector = new SocketSelector();
    }

    @AfterEach
    void close() throws Exception {
        for (NativeSocket s : sockets) {
            s.close();
        }
        selector.close();
        listener.close();
    }

    /** A connected pair: [client, server side]. */
    private NativeSocket[] pair() throws Exception {
        NativeSocket client = NativeSocket.connect(InetAddress.getLoopbackAddress(), listener.localPort());
        NativeSocket served = listener.accept();
        sockets.add(client);
        sockets.add(served);
        return new NativeSocket[] {client, served};
    }

    private List<Object> select(long millis) throws Exception {
        List<Object> fired = new ArrayList<>();
        selector.select(millis, fired::add);
        return fired;
    }

    /**
     * The listener the event loops share: ready while a connection is queued, each time it
     * is selected (level-triggered, not one-shot), quiet once accepted; a non-blocking
     * accept with nothing queued returns null; an unwatched listener is not reported.
     */
    @Test
    void aSharedListenerFiresWhileConnectionsAreQueued() throws Exception {
        listener.setNonBlocking();
        assertEquals(null, listener.acceptNow(), "nothing queued");
        selector.watchListener(listener, "listener");
        try (SocketSelector other = new SocketSelector()) {
            other.watchListener(listener, "other");
            NativeSocket client = NativeSocket.connect(InetAddress.getLoopbackAddress(), listener.localPort());
            sockets.add(client);
            assertEquals(List.of("listener"), select(5_000));
            assertEquals(List.of("listener"), select(0), "still queued: reported again");
            NativeSocket accepted = listener.acceptNow();
            assertTrue(accepted != null);
            sockets.add(accepted);
            assertEquals(List.of(), select(100), "nothing queued any more");
            selector.unwatchListener(listener);
            sockets.add(NativeSocket.connect(InetAddress.getLoopbackAddress(), listener.localPort()));
            assertEquals(List.of(), select(200), "unwatched");
            List<Object> fired = new ArrayList<>();
            other.select(5_000, fired::add);
            assertEquals(List.of("other"), fired, "the other loop still hears of it");
        }
    }

    @Test
    void readableWithinWaitsForBytesOrTheTime() throws Exception {
        NativeSocket[] p = pair();
        long start = System.nanoTime();
        assertEquals(false, p[1].readableWithin(50), "nothing sent");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 45, "returned after " + millis + " ms, before its time");
        new Thread(() -> {
            try {
                Thread.sleep(50);
                p[0].write(new byte[] {7}, 0, 1);
            } catch (Exception e) {
                // the assertion below then fails
            }
        }).start();
        assertTrue(p[1].readableWithin(5_000), "the byte sent after 50 ms");
        assertTrue(p[1].readableWithin(0), "still unread");
    }

    @Test
    void aSocketFiresOnceUntilArmedAgain() throws Exception {
        NativeSocket[] p = pair();
        selector.register(p[1], "served");
        assertEquals(List.of(), select(0), "nothing sent yet");
        p[0].write(new byte[] {1, 2}, 0, 2);
        assertEquals(List.of("served"), select(1000));
        assertEquals(List.of(), select(100), "one-shot: the unread bytes do not fire it again");
        selector.register(p[1], "again");
        assertEquals(List.of("again"), select(1000), "re-armed, the unread bytes fire it at once");
    }

    @Test
    void endOfStreamFiresToo() throws Exception {
        NativeSocket[] p = pair();
        selector.register(p[1], "served");
        p[0].shutdownOutput();
        assertEquals(List.of("served"), select(1000));
    }

    @Test
    void aCancelledSocketNeverFires() throws Exception {
        NativeSocket[] p = pair();
        selector.register(p[1], "served");
        selector.cancel(p[1]);
        p[0].write(new byte[] {1}, 0, 1);
        assertEquals(List.of(), select(200));
    }

    @Test
    void wakeupEndsAWaitAtOnce() throws Exception {
        Thread waker = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            selector.wakeup();
        });
        long start = System.nanoTime();
        waker.start();
        assertEquals(List.of(), select(10_000));
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "the wait was not woken");
        waker.join();
    }

    @Test
    void aClosedFdsNumberCanBeWatchedForItsNewSocket() throws Exception {
        NativeSocket[] first = pair();
        selector.register(first[1], "first");
        first[0].write(new byte[] {1}, 0, 1);
        assertEquals(List.of("first"), select(1000));
        first[1].close(); // closed after firing, without cancel: epoll forgets it
        NativeSocket[] second = pair(); // likely given the same fd number
        selector.register(second[1], "second");
        second[0].write(new byte[] {1}, 0, 1);
        assertEquals(List.of("second"), select(1000));
    }
}
