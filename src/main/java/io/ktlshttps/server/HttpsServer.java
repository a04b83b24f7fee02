package io.ktlshttps.server;

import io.ktlshttps.files.FileHandler;
import io.ktlshttps.files.PathResolver;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.FileDescriptors;
import io.ktlshttps.net.KernelTls;
import io.ktlshttps.net.NativeServerSocket;
import io.ktlshttps.net.NativeSocket;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.NativeKeyExchange;
import io.ktlshttps.tls.NativeSignatures;
import io.ktlshttps.tls.ServerCredentials;
import io.ktlshttps.tls.ServingCredentials;
import io.ktlshttps.tls.SessionCache;
import io.ktlshttps.tls.SessionTickets;
import io.ktlshttps.tls.Tls13ResumptionSelfTest;
import io.ktlshttps.tls.TlsServerConfig;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accept loop and the connection lifecycle. Up to max-connections are held at once:
 * the accept loop waits for a free slot before accepting, so further clients queue in the
 * kernel's listen backlog (back-pressure) instead of being refused. A connection waits
 * for its first and each later request in the {@link ConnectionPoller}, holding no
 * thread; up to max-busy worker threads serve those that have work.
 */
public final class HttpsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpsServer.class);
    /** Fds kept free for what is not a connection: the files being sent, logs, the JVM's own. */
    static final int RESERVED_FDS = 64;

    private final ServerConfig config;
    private final TlsServerConfig tlsConfig;
    private final ServerMetrics metrics;
    private final int maxConnections;
    private final long openFileLimit;
    private final Semaphore slots;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final WorkerPool workers;
    private final ConnectionPoller poller;
    private final ServerContext context;
    private final NativeServerSocket listener;
    private final Thread acceptor;
    private volatile boolean stopping;

    private HttpsServer(ServerConfig config) throws IOException, StartupException {
        this.config = config;
        ServerCredentials credentials = config.credentials().signingWith(config.nativeCrypto()
                ? NativeSignatures.probe() : NativeSignatures.off());
        NativeKeyExchange keyExchange = config.nativeCrypto() ? NativeKeyExchange.probe() : NativeKeyExchange.off();
        this.metrics = new ServerMetrics(credentials.signerLabel(), keyExchange.label(), keyExchange::agreements);
        this.tlsConfig = new TlsServerConfig(credentials, config.versions(),
                effectiveCiphers(config, KernelTls::supports),
                config.sessionCacheSize() > 0 ? new SessionCache(config.sessionCacheSize(), config.sessionTimeout())
                        : null,
                acceptMaxFragmentLength(config), keyExchange)
                .withTickets(config.sessionCacheSize() > 0 && config.sessionTickets()
                        ? SessionTickets.create(config.sessionTimeout(), config.ticketKey()) : null);
        if (tlsConfig.tickets() != null && tlsConfig.versions().contains(TlsVersion.TLS_1_3)) {
            String failure = Tls13ResumptionSelfTest.run(tlsConfig); // BouncyCastle's internals as 1.84 has them?
            if (failure != null) {
                tlsConfig.tickets().turnOffTls13(failure);
            }
        }
        metrics.serving(tlsConfig.serving());
        FileHandler files = new FileHandler(root(config));
        this.openFileLimit = FileDescriptors.limit();
        this.maxConnections = effectiveMaxConnections(config, openFileLimit);
        this.slots = new Semaphore(maxConnections);
        this.workers = new WorkerPool(config.maxBusy());
        this.listener = listen(config, Math.max(128, maxConnections));
        try {
            // Inherited by every accepted socket: the handshake's bounds, and no Nagle (responses
            // are whole records, coalesced by MSG_MORE or by the channel; Nagle would only hold
            // back their last segment for a delayed ACK).
            long handshake = config.handshakeTimeout().toMillis();
            listener.setAcceptedDefaults(true, handshake, handshake);
            this.poller = new ConnectionPoller(workers, metrics, Fatal::exit);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        this.context = new ServerContext(config, tlsConfig, files, metrics, poller, workers::crowded,
                new BriefWaitStart(), () -> stopping, this::closed,
                Fatal::exit);
        this.acceptor = new Thread(this::acceptLoop, "accept");
    }

    /** The root to serve: an existing directory the server can search and read, or a one-line refusal. */
    private static PathResolver root(ServerConfig config) throws StartupException {
        try {
            return new PathResolver(config.root());
        } catch (NoSuchFileException e) {
            throw new StartupException("--root " + config.root() + ": no such directory", e);
        } catch (NotDirectoryException e) {
            throw new StartupException("--root " + config.root() + ": not a directory", e);
        } catch (AccessDeniedException e) {
            throw new StartupException("--root " + config.root() + ": permission denied"
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")"), e);
        } catch (IOException e) {
            throw new StartupException("--root " + config.root() + ": " + e.getMessage(), e);
        }
    }

    /** The listening socket, or a one-line refusal that names the address and port (bind(2)'s errno). */
    private static NativeServerSocket listen(ServerConfig config, int backlog) throws StartupException {
        try {
            return NativeServerSocket.bind(config.bind(), config.port(), backlog);
        } catch (IOException e) {
            throw new StartupException(e.getMessage(), e);
        }
    }

    /**
     * max-connections, lowered where the fd limit could not hold that many: each
     * connection is one fd, and a busy one may have a file open too.
     */
    static int effectiveMaxConnections(ServerConfig config, long openFileLimit) throws StartupException {
        long room = openFileLimit - RESERVED_FDS - config.maxBusy();
        if (room < 1) {
            throw new StartupException("the open-file limit (RLIMIT_NOFILE " + openFileLimit + ") leaves no room"
                    + " for connections; raise it (ulimit -n) or lower --max-busy");
        }
        return (int) Math.min(config.maxConnections(), room);
    }

    /**
     * Binds and starts serving.
     *
     * @throws StartupException for what the operator can fix, in one line: --ktls=required on a
     *         kernel without kernel TLS, or without any of the chosen ciphers; a root that is no
     *         readable directory; an address or port that cannot be bound; an open-file limit too low
     */
    public static HttpsServer start(ServerConfig config) throws IOException, StartupException {
        if (config.ktls() == KtlsMode.REQUIRED && !KernelTls.available()) {
            throw new StartupException("--ktls=required, but kernel TLS is unavailable on "
                    + KernelTls.kernelRelease() + ": " + KernelTls.unavailabilityReason());
        }
        Fatal.prepare();
        HttpsServer server = new HttpsServer(config);
        server.poller.start();
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

    /**
     * The ciphers to offer. With --ktls=required only those the kernel takes for every enabled
     * version, so that a client offering only another one is refused in the handshake
     * (handshake_failure: no common cipher) rather than after it; otherwise all chosen.
     *
     * @param kernelTakes the probe's answer for a (version, cipher) pair ({@link KernelTls#supports})
     */
    static Set<AeadCipher> effectiveCiphers(ServerConfig config, BiPredicate<TlsVersion, AeadCipher> kernelTakes)
            throws StartupException {
        if (config.ktls() != KtlsMode.REQUIRED) {
            return config.ciphers();
        }
        Set<AeadCipher> ciphers = EnumSet.noneOf(AeadCipher.class);
        for (AeadCipher c : config.ciphers()) {
            if (config.versions().stream().allMatch(v -> kernelTakes.test(v, c))) {
                ciphers.add(c);
            }
        }
        if (ciphers.isEmpty()) {
            throw new StartupException("--ktls=required, but the kernel accepts none of the chosen ciphers ("
                    + config.ciphers().stream().sorted().map(Enum::name).collect(Collectors.joining(", "))
                    + ") for " + config.versions().stream().sorted().map(Object::toString)
                    .collect(Collectors.joining(" and ")));
        }
        return ciphers;
    }

    public int port() throws IOException {
        return listener.localPort();
    }

    /** The counters behind /server-status. */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** Connections held at once: --max-connections, or fewer where the fd limit says so. */
    public int maxConnections() {
        return maxConnections;
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
        b.append("connections: up to ").append(maxConnections).append(maxConnections < config.maxConnections()
                ? " (--max-connections " + config.maxConnections() + " lowered to fit" : " (")
                .append(" RLIMIT_NOFILE ").append(openFileLimit == Long.MAX_VALUE ? "unlimited" : openFileLimit)
                .append("), idle ones in epoll with no thread; ").append(config.maxBusy())
                .append(" worker threads at most\n");
        b.append("TLS 1.2 resumption: ").append(tlsConfig.sessions() == null ? "off"
                : "session IDs, " + tlsConfig.sessions().capacity() + " sessions for "
                + tlsConfig.sessions().lifetime().toSeconds() + " s").append('\n');
        b.append("session tickets: ").append(tlsConfig.tickets() == null ? "off" : tlsConfig.tickets().describe())
                .append('\n');
        b.append("handshake signatures: ").append(tlsConfig.credentials().signer()).append('\n');
        b.append("handshake X25519: ").append(tlsConfig.keyExchange().describe()).append('\n');
        b.append("serving ").append(config.root().toRealPath()).append(" on https://")
                .append(config.bind() == null ? "*" : config.bind().getHostAddress()).append(':').append(port())
                .append('\n');
        b.append(CertificateFiles.describe(tlsConfig.credentials(), config.selfSigned()));
        return b.toString();
    }

    /** The certificate new handshakes get, replaceable (SIGHUP: {@link CertificateFiles#reloadInto}). */
    public ServingCredentials credentials() {
        return tlsConfig.serving();
    }

    private void acceptLoop() {
        try {
            while (!stopping) {
                acceptOne();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Error e) {
            Fatal.exit("the accept loop", e);
        } catch (RuntimeException e) {
            // Without this thread nobody is accepted again: a server that is up and deaf.
            Fatal.exit("the accept loop", Fatal.unexpected(e));
        } finally {
            closeListener();
        }
    }

    /**
     * Only the accepting thread closes the listener, once it has left accept(2): closed
     * under it, the fd number could go to the next socket opened, and its next accept
     * would take that one's connections. {@link #stop} only shuts it down, which wakes it.
     */
    private void closeListener() {
        try {
            listener.close();
        } catch (IOException e) {
            LOG.debug("closing the listener: {}", e.getMessage());
        }
    }

    private void acceptOne() throws InterruptedException {
        slots.acquire();
        NativeSocket socket;
        try {
            socket = listener.accept();
            FaultInjection.at(FaultInjection.Point.ACCEPT);
        } catch (IOException e) {
            slots.release();
            if (!stopping) {
                LOG.warn("accept failed: {}", e.getMessage());
                Thread.sleep(50); // EMFILE, say: wait a little instead of spinning
            }
            return;
        }
        ServerConnection connection = new ServerConnection(socket, context);
        connections.add(connection);
        if (workers.crowded()) {
            connection.awaitHelloInPoller(); // it waits for its ClientHello there, with no thread
        } else {
            try {
                workers.execute(connection); // it waits briefly for its ClientHello, then parks
            } catch (RejectedExecutionException e) {
                connection.closeNow(); // stopping: the workers were shut down
            }
        }
    }

    /** Called by a connection's owner once it has released the fd. */
    private void closed(ServerConnection connection) {
        if (connections.remove(connection)) {
            slots.release();
        }
    }

    /**
     * Graceful stop: no new connections; connections waiting for a request close now
     * with close_notify; requests in flight get up to the grace period to finish. After
     * that, the rest are shut down (shutdown(2), which wakes their worker at once) and
     * their workers close them.
     */
    public void stop(Duration grace) {
        stopping = true;
        listener.stopAccepting(); // wakes the acceptor, which closes it
        acceptor.interrupt();
        poller.beginStop();
        long deadline = System.nanoTime() + grace.toNanos();
        awaitConnections(deadline);
        long busy = busyConnections();
        if (busy > 0) {
            LOG.warn("{} connection(s) still busy after the grace period ({} ms); closing them", busy,
                    grace.toMillis());
            connections.forEach(ServerConnection::interrupt);
            awaitConnections(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("connection threads did not end");
            } else {
                for (Runnable task : workers.leftOver()) { // queued for a thread that never came: ours now
                    ((ServerConnection) task).closeNow();
                }
            }
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        poller.close();
    }

    /** Connections not yet closed nor lingering (our side done, waiting for the peer's FIN). */
    private long busyConnections() {
        return connections.stream().filter(c -> c.phase() != ServerConnection.Phase.LINGER).count();
    }

    /** Waits until every connection is closed or lingering, or the deadline passes. */
    private void awaitConnections(long deadline) {
        while (busyConnections() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
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
