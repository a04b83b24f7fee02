package io.ktlshttps.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * Asks the running kernel, once, whether kernel TLS works and which (version, cipher)
 * pairs it accepts. It tries the real thing on a loopback TCP connection: TCP_ULP "tls",
 * then TLS_TX and TLS_RX with throwaway keys, one fresh connection per pair (each
 * direction can be set once per socket).
 */
public final class KernelTlsProbe {
    /** 127.0.0.1: IPv4, since a kernel may be built without IPv6 (Debian's UML kernel is). */
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    /** One (version, cipher) pair the kernel took for both TX and RX. */
    public record Pair(int version, KernelCipher cipher) {
    }

    /**
     * The outcome. When unavailable, reason says why (e.g. "TCP_ULP tls: ENOENT, the tls
     * module is not built or not loaded").
     */
    public record Result(boolean available, String reason, String kernelRelease, List<Pair> accepted,
            boolean txMaxPayloadLength, boolean tls13Rekey) {
        public Result {
            accepted = List.copyOf(accepted);
        }

        public boolean accepts(int version, KernelCipher cipher) {
            return accepted.contains(new Pair(version, cipher));
        }
    }

    private static volatile Result cached;

    private KernelTlsProbe() {
    }

    /** The probe's result, computed on first use. */
    public static Result result() {
        Result r = cached;
        if (r == null) {
            synchronized (KernelTlsProbe.class) {
                r = cached;
                if (r == null) {
                    r = run();
                    cached = r;
                }
            }
        }
        return r;
    }

    private static Result run() {
        String release = System.getProperty("os.version", "unknown");
        if (!"Linux".equals(System.getProperty("os.name"))) {
            return new Result(false, "not Linux", release, List.of(), false, false);
        }
        try (LoopbackPair pair = new LoopbackPair()) {
            Native.attachTlsUlp(pair.client);
        } catch (NativeException e) {
            return new Result(false, explain(e), release, List.of(), false, false);
        } catch (RuntimeException | LinkageError e) {
            return new Result(false, "libc unavailable: " + e, release, List.of(), false, false);
        }
        List<Pair> accepted = new ArrayList<>();
        for (int version : new int[] {LinuxConstants.TLS_1_2_VERSION, LinuxConstants.TLS_1_3_VERSION}) {
            for (KernelCipher cipher : KernelCipher.values()) {
                if (accepts(version, cipher)) {
                    accepted.add(new Pair(version, cipher));
                }
            }
        }
        if (accepted.isEmpty()) {
            return new Result(false, "TCP_ULP tls attached, but no cipher was accepted for TLS_TX and TLS_RX",
                    release, accepted, false, false);
        }
        return new Result(true, "", release, accepted, limitsRecordSize(),
                accepted.stream().filter(p -> p.version() == LinuxConstants.TLS_1_3_VERSION).findFirst()
                        .map(p -> rekeys(p.cipher())).orElse(false));
    }

    private static boolean accepts(int version, KernelCipher cipher) {
        CryptoInfo info = new CryptoInfo(version, cipher, new byte[cipher.ivSize()], new byte[cipher.keySize()],
                new byte[cipher.saltSize()], new byte[KernelCipher.REC_SEQ_SIZE]);
        try (LoopbackPair pair = new LoopbackPair()) {
            Native.attachTlsUlp(pair.client);
            Native.installTx(pair.client, info);
            Native.installRx(pair.client, info);
            return true;
        } catch (NativeException e) {
            return false;
        }
    }

    /** Whether TLS_TX_MAX_PAYLOAD_LEN is known (Linux 6.19+), tried on a fresh TLS socket. */
    private static boolean limitsRecordSize() {
        try (LoopbackPair pair = new LoopbackPair()) {
            Native.attachTlsUlp(pair.client);
            Native.setTxMaxPayloadLength(pair.client, 512);
            return Native.txMaxPayloadLength(pair.client) == 512;
        } catch (NativeException e) {
            return false;
        }
    }

    /** Whether TLS_TX may be set a second time on a TLS 1.3 socket (a rekey; Linux 6.14+ says yes, older EBUSY). */
    private static boolean rekeys(KernelCipher cipher) {
        CryptoInfo info = new CryptoInfo(LinuxConstants.TLS_1_3_VERSION, cipher, new byte[cipher.ivSize()],
                new byte[cipher.keySize()], new byte[cipher.saltSize()], new byte[KernelCipher.REC_SEQ_SIZE]);
        try (LoopbackPair pair = new LoopbackPair()) {
            Native.attachTlsUlp(pair.client);
            Native.installTx(pair.client, info);
            Native.installTx(pair.client, info);
            return true;
        } catch (NativeException e) {
            return false;
        }
    }

    static String explain(NativeException e) {
        switch (e.errno()) {
            case ENOENT:
                return "TCP_ULP tls: ENOENT, the kernel has no tls module (CONFIG_TLS) or it is not loaded;"
                        + " try: modprobe tls";
            case ENOPROTOOPT:
                return "TCP_ULP: ENOPROTOOPT, the kernel predates TCP upper layer protocols (needs 4.13+)";
            default:
                return e.getMessage();
        }
    }

    /** A connected loopback TCP pair, both ends closed together. */
    private static final class LoopbackPair implements AutoCloseable {
        final int listener;
        final int client;
        final int server;

        LoopbackPair() throws NativeException {
            int l = -1;
            int c = -1;
            try {
                l = Native.tcpSocket(LOOPBACK.length);
                Native.bind(l, LOOPBACK, 0);
                Native.listen(l, 1);
                c = Native.tcpSocket(LOOPBACK.length);
                Native.connect(c, LOOPBACK, Native.localPort(l));
                server = Native.accept(l).fd();
            } catch (NativeException e) {
                closeQuietly(c);
                closeQuietly(l);
                throw e;
            }
            listener = l;
            client = c;
        }

        @Override
        public void close() {
            closeQuietly(client);
            closeQuietly(server);
            closeQuietly(listener);
        }

        private static void closeQuietly(int fd) {
            if (fd >= 0) {
                try {
                    Native.close(fd);
                } catch (NativeException ignored) {
                    // Nothing to do: the probe's sockets are throwaway.
                }
            }
        }
    }
}
