package io.ktlshttps.bench;

import io.ktlshttps.linux.CryptoInfo;
import io.ktlshttps.linux.KernelCipher;
import io.ktlshttps.linux.LinuxConstants;
import io.ktlshttps.linux.Native;
import io.ktlshttps.linux.TlsRecordIo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw limit: a file pushed by sendfile(2) through a kernel TLS socket (TLS 1.3,
 * AES-256-GCM, the record layer the download scenarios pin for every server; fixed keys,
 * no handshake, no HTTP) to a separate reader process that decrypts with kernel RX and
 * discards. Prints one CSV line per run: bytes, seconds, sender CPU seconds (utime + stime
 * of this process, from /proc/self/stat), and "ok", or "void" if the reader failed (it
 * checks it got every byte).
 *
 * <p>Usage: RawSendfileLimit FILE RUNS  (the reader is this class with "read PORT BYTES")
 */
public final class RawSendfileLimit {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private RawSendfileLimit() {
    }

    static CryptoInfo keys() {
        KernelCipher c = KernelCipher.AES_GCM_256;
        byte[] key = new byte[c.keySize()];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 1);
        }
        return new CryptoInfo(LinuxConstants.TLS_1_3_VERSION, c, new byte[c.ivSize()], key, new byte[c.saltSize()],
                new byte[8]);
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("read")) {
            read(Integer.parseInt(args[1]), Long.parseLong(args[2]));
            return;
        }
        Path file = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        long size = Files.size(file);
        int listener = Native.tcpSocket(4);
        Native.bind(listener, LOOPBACK, 0);
        Native.listen(listener, 4);
        int port = Native.localPort(listener);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int run = 0; run < runs; run++) {
            Process reader = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    RawSendfileLimit.class.getName(), "read", Integer.toString(port), Long.toString(size))
                    .inheritIO().start();
            int fd = Native.accept(listener).fd();
            Native.attachTlsUlp(fd);
            Native.installTx(fd, keys());
            Native.read(fd, new byte[1], 0, 1); // the reader's "ready": its RX is installed
            double cpu0 = cpuSeconds();
            long t0 = System.nanoTime();
            int in = Native.openReadOnly(file.toString());
            long sent = Native.sendfile(fd, in, 0, size);
            Native.close(in);
            Native.read(fd, new byte[1], 0, 1); // the reader's "done": everything was decrypted
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = cpuSeconds() - cpu0;
            Native.close(fd);
            int status = reader.waitFor();
            System.out.printf("%d,%.4f,%.4f,%s%n", sent, seconds, cpu, status == 0 && sent == size ? "ok" : "void");
        }
    }

    private static void read(int port, long expected) throws Exception {
        int fd = Native.tcpSocket(4);
        Native.connect(fd, LOOPBACK, port);
        Native.attachTlsUlp(fd);
        Native.installRx(fd, keys());
        Native.sendFully(fd, new byte[] {1}, 0, 1, 0); // plain TCP: TX is not installed here
        TlsRecordIo records = new TlsRecordIo(fd);
        byte[] buffer = new byte[TlsRecordIo.MAX_RECORD_PLAINTEXT];
        long total = 0;
        while (total < expected) {
            TlsRecordIo.Received r = records.receive(buffer, 0, buffer.length);
            if (r.length() == 0) {
                break;
            }
            total += r.length();
        }
        Native.sendFully(fd, new byte[] {2}, 0, 1, 0);
        Native.close(fd);
        if (total != expected) {
            throw new IllegalStateException("reader got " + total + " of " + expected);
        }
    }

    /** utime + stime of this process, /proc/self/stat fields 14 and 15, in seconds (USER_HZ = 100). */
    static double cpuSeconds() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        List<String> fields = new ArrayList<>(List.of(f));
        return (Long.parseLong(fields.get(11)) + Long.parseLong(fields.get(12))) / 100.0;
    }
}
