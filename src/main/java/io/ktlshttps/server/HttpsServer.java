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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server: one listener and N {@link EventLoop}s that share it. Each loop accepts from
 * it (EPOLLEXCLUSIVE wakes one waiting loop per new connection) and owns what it accepted
 * until it closes. Up to max-connections are held at once: with every slot held, the loops
 * stop watching the listener, so further clients queue in the kernel's listen backlog
 * (back-pressure) instead of being refused.
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
    private final ServerContext context;
    private final NativeServerSocket listener;
    private final List<EventLoop> loops = new ArrayList<>();
    private volatile boolean stopping;
    private final CountDownLatch stopped = new CountDownLatch(1);

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
        this.listener = listen(config, Math.max(128, maxConnections));
        this.context = new ServerContext(config, tlsConfig, files, metrics, () -> stopping, Fatal::exit);
        try {
            // Inherited by every accepted socket: no Nagle (responses are whole records,
            // coalesced by MSG_MORE or by the channel; Nagle would only hold back their last
            // segment for a delayed ACK), and no timeouts: nothing waits in a system call.
            listener.setAcceptedDefaults(true, 0, 0);
            listener.setNonBlocking();
            EventLoop.Listener shared = new EventLoop.Listener(listener, maxConnections, config.loops());
            for (int i = 0; i < config.loops(); i++) {
                loops.add(new EventLoop(i, context, shared));
            }
        } catch (IOException e) {
            listener.close();
            throw e;
        }
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
     * connection is one fd, and one sending a file holds that file open too, for as long as
     * its client takes to receive it. A quarter of the limit is kept for those files (and
     * {@link #RESERVED_FDS} for the rest): past that, a file that cannot be opened fails its
     * connection (EMFILE, logged), as nginx's open does.
     */
    static int effectiveMaxConnections(ServerConfig config, long openFileLimit) throws StartupException {
        long room = openFileLimit - RESERVED_FDS - openFileLimit / 4;
        if (room < 1) {
            throw new StartupException("the open-file limit (RLIMIT_NOFILE " + openFileLimit + ") leaves no room"
                    + " for connections; raise it (ulimit -n)");
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
        for (EventLoop loop : server.loops) {
            loop.start();
        }
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
                .append("); ").append(config.loops()).append(config.loops() == 1 ? " event loop" : " event loops")
                .append(" (threads) sharing the listener\n");
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

    /**
     * Graceful stop: no new connections (the last loop off the listener closes it);
     * connections waiting for a handshake or a request close now, with close_notify after
     * a handshake; responses in flight get up to the grace period to finish, and then
     * whatever is left, lingering connections included, is closed and the loops end.
     */
    public void stop(Duration grace) {
        if (stopping) {
            awaitLoops();
            return;
        }
        stopping = true;
        for (EventLoop loop : loops) {
            loop.execute(loop::beginStop);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        awaitConnections(deadline);
        long busy = busyConnections();
        if (busy == Long.MAX_VALUE) {
            LOG.warn("an event loop did not begin to stop within the grace period ({} ms)", grace.toMillis());
        } else if (busy > 0) {
            LOG.warn("{} connection(s) still busy after the grace period ({} ms); closing them", busy,
                    grace.toMillis());
        }
        for (EventLoop loop : loops) {
            loop.execute(loop::finish);
        }
        awaitLoops();
    }

    private void awaitLoops() {
        try {
            for (EventLoop loop : loops) {
                loop.thread().join(5000);
                if (loop.thread().isAlive()) {
                    LOG.warn("{} did not end", loop.name());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }

    /**
     * Connections not yet closed nor lingering (our side done, waiting for the peer's FIN),
     * as the loops last counted; a loop that has not yet begun to stop counts as busy.
     */
    private long busyConnections() {
        long n = 0;
        for (EventLoop loop : loops) {
            int unfinished = loop.unfinished();
            if (unfinished < 0 && loop.thread().isAlive()) {
                return Long.MAX_VALUE;
            }
            n += Math.max(0, unfinished);
        }
        return n;
    }

    /** Waits until every connection is closed or lingering, or the deadline passes. */
    private void awaitConnections(long deadline) {
        do {
            try {
                Thread.sleep(10); // the loops count at the end of each turn: at least one after beginStop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        } while (busyConnections() > 0 && System.nanoTime() - deadline < 0);
    }

    /** Blocks until {@link #stop} has ended the loops. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** The threads that serve connections: the event loops, one per --loops. */
    public List<Thread> threads() {
        return loops.stream().map(EventLoop::thread).toList();
    }

    @Override
    public void close() {
        stop(config.shutdownGrace());
    }
}
