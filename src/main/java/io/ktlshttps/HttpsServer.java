package io.ktlshttps;

import io.ktlshttps.files.FileHandler;
import io.ktlshttps.files.PathResolver;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.SessionCache;
import io.ktlshttps.tls.TlsServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accept loop and connection lifecycle. At most max-connections are served at once:
 * the accept loop waits for a free slot before accepting, so further clients queue in the
 * kernel's listen backlog (back-pressure) instead of being refused.
 */
public final class HttpsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpsServer.class);

    private final ServerConfig config;
    private final TlsServerConfig tlsConfig;
    private final FileHandler files;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Semaphore slots;
    private final Set<ConnectionTask> connections = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private final NativeServerSocket listener;
    private final Thread acceptor;
    private volatile boolean stopping;

    private HttpsServer(ServerConfig config) throws IOException {
        this.config = config;
        this.tlsConfig = new TlsServerConfig(config.credentials(), config.versions(), effectiveCiphers(config),
                config.sessionCacheSize() > 0 ? new SessionCache(config.sessionCacheSize(), config.sessionTimeout())
                        : null,
                acceptMaxFragmentLength(config));
        this.files = new FileHandler(new PathResolver(config.root()));
        this.slots = new Semaphore(config.maxConnections());
        AtomicInteger ids = new AtomicInteger();
        // A thread per connection (bounded by the slots), kept 5 s after its connection
        // ends for reuse, then released, so an idle server holds no connection threads.
        this.workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "conn-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.listener = NativeServerSocket.bind(config.bind(), config.port(), Math.max(128, config.maxConnections()));
        this.acceptor = new Thread(this::acceptLoop, "accept");
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalStateException with --ktls=required on a kernel without kernel TLS
     */
    public static HttpsServer start(ServerConfig config) throws IOException {
        if (config.ktls() == KtlsMode.REQUIRED && !KernelTls.available()) {
            throw new IllegalStateException("--ktls=required, but kernel TLS is unavailable on "
                    + KernelTls.kernelRelease() + ": " + KernelTls.unavailabilityReason());
        }
        HttpsServer server = new HttpsServer(config);
        server.acceptor.start();
        return server;
    }

    /**
     * A client's max_fragment_length is agreed to unless --ktls=required on a kernel that
     * cannot cap its record size: such a connection could go neither to the kernel nor to
     * user space, so the limit is declined (RFC 6066 lets a server), and the client gets
     * full-size records it must then accept.
     */
    static boolean acceptMaxFragmentLength(ServerConfig config) {
        return config.ktls() != KtlsMode.REQUIRED || KernelTls.limitsRecordSize();
    }

    /** With --ktls=required only ciphers the kernel takes for every enabled version are offered. */
    static Set<AeadCipher> effectiveCiphers(ServerConfig config) {
        if (config.ktls() != KtlsMode.REQUIRED) {
            return config.ciphers();
        }
        Set<AeadCipher> ciphers = EnumSet.noneOf(AeadCipher.class);
        for (AeadCipher c : config.ciphers()) {
            if (config.versions().stream().allMatch(v -> KernelTls.supports(v, c))) {
                ciphers.add(c);
            }
        }
        if (ciphers.isEmpty()) {
            throw new IllegalStateException("--ktls=required, but the kernel accepts none of the chosen ciphers");
        }
        return ciphers;
    }

    public int port() throws IOException {
        return listener.localPort();
    }

    ServerMetrics metrics() {
        return metrics;
    }

    boolean stopping() {
        return stopping;
    }

    /** What the server says at startup: kernel, kernel TLS, pairs, root, port, certificate. */
    public String banner() throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("ktls-https ").append(Version.VERSION).append(" on Linux ").append(KernelTls.kernelRelease())
                .append(", Java ").append(System.getProperty("java.version")).append('\n');
        if (KernelTls.available()) {
            b.append("kernel TLS: available; accepted: ").append(KernelTls.acceptedPairs().stream()
                    .map(Object::toString).collect(Collectors.joining(", ")))
                    .append("; record size limit (TLS_TX_MAX_PAYLOAD_LEN): ")
                    .append(KernelTls.limitsRecordSize() ? "yes" : "no, max_fragment_length clients stay in user space")
                    .append('\n');
        } else {
            b.append("kernel TLS: unavailable (").append(KernelTls.unavailabilityReason()).append(")\n");
        }
        b.append("mode: --ktls=").append(config.ktls().name().toLowerCase(java.util.Locale.ROOT));
        if (config.ktls() == KtlsMode.AUTO && !KernelTls.available()) {
            b.append(" (every connection will use user-space TLS)");
        }
        b.append("; TLS ").append(tlsConfig.versions().stream().sorted().map(TlsVersion::toString)
                .collect(Collectors.joining(", "))).append("; ciphers ").append(tlsConfig.ciphers().stream().sorted()
                .map(Enum::name).collect(Collectors.joining(", "))).append('\n');
        b.append("TLS 1.2 resumption: ").append(tlsConfig.sessions() == null ? "off"
                : "session IDs, " + tlsConfig.sessions().capacity() + " sessions for "
                + tlsConfig.sessions().lifetime().toSeconds() + " s").append('\n');
        b.append("serving ").append(config.root().toRealPath()).append(" on https://")
                .append(config.bind() == null ? "*" : config.bind().getHostAddress()).append(':').append(port())
                .append('\n');
        b.append("certificate: ").append(config.selfSigned() ? "self-signed (localhost, 127.0.0.1, ::1), " : "")
                .append("SHA-256 ").append(config.credentials().fingerprintSha256());
        return b.toString();
    }

    private void acceptLoop() {
        while (!stopping) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            NativeSocket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                slots.release();
                if (!stopping) {
                    LOG.warn("accept failed: {}", e.getMessage());
                    pause();
                }
                continue;
            }
            ConnectionTask task = new ConnectionTask(socket, config, tlsConfig, files, metrics, this);
            connections.add(task);
            try {
                workers.execute(task);
            } catch (RuntimeException e) {
                finished(task);
                task.abort();
            }
        }
    }

    /** After a failed accept (EMFILE, say), wait a little instead of spinning. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void finished(ConnectionTask task) {
        if (connections.remove(task)) {
            slots.release();
        }
    }

    /**
     * Graceful stop: no new connections; idle keep-alive connections close now with
     * close_notify; requests in flight get up to the grace period to finish; whatever is
     * left after that is cut.
     */
    public void stop(Duration grace) {
        stopping = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debug("closing the listener: {}", e.getMessage());
        }
        acceptor.interrupt();
        long deadline = System.nanoTime() + grace.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            connections.stream().filter(ConnectionTask::idle).forEach(ConnectionTask::wakeForShutdown);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!connections.isEmpty()) {
            LOG.warn("{} connection(s) still busy after the {} s grace period; closing them",
                    connections.size(), grace.toSeconds());
            connections.forEach(ConnectionTask::abort);
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("connection threads did not end");
            }
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Blocks until the accept loop ends (after {@link #stop}). */
    public void awaitStop() throws InterruptedException {
        acceptor.join();
    }

    @Override
    public void close() {
        stop(config.shutdownGrace());
    }
}
