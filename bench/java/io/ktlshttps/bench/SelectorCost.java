package io.ktlshttps.bench;

import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.SocketSelector;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * What the idle-connection selector costs per wake-up as the connections it holds grow:
 * N connected loopback sockets wait in one {@link SocketSelector} (epoll, one-shot); one of them receives a byte, the selector reports it, the byte is read and
 * the socket registered again, as the server does after each request. Prints one CSV line
 * per N: connections, microseconds per wake-up (wall), microseconds of CPU per wake-up.
 *
 * <p>Usage: SelectorCost N... (each N needs 2N file descriptors)
 */
public final class SelectorCost {
    private static final int WAKEUPS = 2000;

    private SelectorCost() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("connections,us_per_wakeup,cpu_us_per_wakeup");
        for (String arg : args) {
            measure(Integer.parseInt(arg));
        }
    }

    private static void measure(int n) throws Exception {
        List<NativeSocket> clients = new ArrayList<>();
        List<NativeSocket> served = new ArrayList<>();
        try (NativeServerSocket listener = NativeServerSocket.bind(InetAddress.getLoopbackAddress(), 0, 4096);
                SocketSelector selector = new SocketSelector()) {
            for (int i = 0; i < n; i++) {
                clients.add(NativeSocket.connect(InetAddress.getLoopbackAddress(), listener.localPort()));
                NativeSocket s = listener.accept();
                served.add(s);
                selector.register(s, s);
            }
            selector.select(0, ready -> { });
            byte[] one = {1};
            byte[] sink = new byte[1];
            int[] fired = new int[1];
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < WAKEUPS; i++) {
                NativeSocket client = clients.get((i * 7919) % n);
                client.write(one, 0, 1);
                fired[0] = 0;
                while (fired[0] == 0) {
                    selector.select(1000, ready -> {
                        NativeSocket s = (NativeSocket) ready;
                        try {
                            s.read(sink, 0, 1);
                            selector.register(s, s);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        fired[0]++;
                    });
                }
            }
            long wall = System.nanoTime() - t0;
            long cpu = cpuNanos() - cpu0;
            System.out.printf("%d,%.1f,%.1f%n", n, wall / 1000.0 / WAKEUPS, cpu / 1000.0 / WAKEUPS);
        } finally {
            for (NativeSocket s : clients) {
                s.close();
            }
            for (NativeSocket s : served) {
                s.close();
            }
        }
    }

    /** This process's user and system time, from /proc/self/stat (clock ticks of 10 ms). */
    private static long cpuNanos() throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }
}
