package io.ktlshttps;

import io.ktlshttps.server.CertificateFiles;
import io.ktlshttps.server.Fatal;
import io.ktlshttps.server.HeapReturn;
import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import io.ktlshttps.server.Signals;
import io.ktlshttps.server.StartupException;
import io.ktlshttps.tls.TicketKeys;
import io.ktlshttps.server.StatusAccess;
import io.ktlshttps.server.Version;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.FileAppender;
import io.ktlshttps.http.RequestLimits;
import io.ktlshttps.net.AeadCipher;
import io.ktlshttps.net.TlsVersion;
import io.ktlshttps.tls.ServerCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code java -jar ktls-https.jar [options]}. */
@Command(name = "ktls-https", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Serves a directory over HTTPS/1.1, with the TLS record layer in the Linux kernel (kTLS)"
                + " where it can, and file bodies by sendfile(2).")
public final class Main implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "PORT", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = 4433;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: all interfaces).")
    String bind;

    @Option(names = "--root", paramLabel = "DIR", description = "Directory to serve (default: the current one).")
    Path root = Path.of(".");

    @Option(names = "--cert", paramLabel = "PEM", description = "Certificate chain, leaf first (PEM).")
    Path cert;

    @Option(names = "--key", paramLabel = "PEM", description = "Private key, EC or RSA (PEM, unencrypted).")
    Path key;

    @Option(names = "--ktls", paramLabel = "MODE", description = "auto, required or off (default: ${DEFAULT-VALUE}).",
            converter = ModeConverter.class)
    KtlsMode ktls = KtlsMode.AUTO;

    @Option(names = "--tls", paramLabel = "VERSIONS", split = ",",
            description = "TLS versions to offer: 1.2, 1.3 (default: both).")
    List<String> tls = List.of("1.2", "1.3");

    @Option(names = "--ciphers", paramLabel = "CIPHERS", split = ",",
            description = "Record ciphers to offer, in any case: AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305,"
                    + " AES_128_CCM (default: all; CCM is TLS 1.3 only).")
    List<String> ciphers = List.of("AES_128_GCM", "AES_256_GCM", "CHACHA20_POLY1305", "AES_128_CCM");

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections held at once, idle keep-alive ones included; more wait in the listen queue"
                    + " (default: ${DEFAULT-VALUE}, lowered to fit the open-file limit, RLIMIT_NOFILE).")
    int maxConnections = ServerConfig.DEFAULT_MAX_CONNECTIONS;

    @Option(names = "--loops", paramLabel = "N",
            description = "Event loops: threads that each own the connections they accept, from handshake to"
                    + " close (default: one per available processor, here ${DEFAULT-VALUE}).")
    int loops = ServerConfig.DEFAULT_LOOPS;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Time allowed for the TLS handshake (default: 10s).")
    Duration handshakeTimeout = Duration.ofSeconds(10);

    @Option(names = "--header-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Time allowed to send a request head once it has begun; then 408 (default: 10s).")
    Duration headerTimeout = Duration.ofSeconds(10);

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Keep-alive time between requests, and the longest a response may go without the client"
                    + " taking a byte (default: 60s).")
    Duration idleTimeout = Duration.ofSeconds(60);

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "On SIGTERM, time for requests in flight to finish (default: 10s).")
    Duration shutdownGrace = Duration.ofSeconds(10);

    @Option(names = "--sendfile", paramLabel = "on|off",
            description = "File bodies by sendfile(2) through kernel TLS (on), or read and written (off)"
                    + " (default: on).")
    String sendfile = "on";

    @Option(names = "--session-cache", paramLabel = "N",
            description = "TLS 1.2 sessions kept for resumption by session ID; 0 turns resumption off"
                    + " (default: ${DEFAULT-VALUE}).")
    int sessionCache = ServerConfig.DEFAULT_SESSION_CACHE;

    @Option(names = "--session-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long a TLS 1.2 session may be resumed after its full handshake (default: 5m).")
    Duration sessionTimeout = ServerConfig.DEFAULT_SESSION_TIMEOUT;

    @Option(names = "--session-tickets", paramLabel = "on|off",
            description = "TLS 1.2 session tickets (RFC 5077) beside session IDs, good for --session-timeout"
                    + " (default: on; --session-cache 0 turns them off too).")
    String sessionTickets = "on";

    @Option(names = "--ticket-key", paramLabel = "FILE",
            description = "The key that seals session tickets: 48 or 80 bytes, as nginx's ssl_session_ticket_key"
                    + " (openssl rand 80 > FILE); servers with one file resume each other's clients"
                    + " (default: a random key, rotated every --session-timeout).")
    Path ticketKey;

    @Option(names = "--rekey-after", paramLabel = "RECORDS",
            description = "TLS 1.3 in the kernel: send a KeyUpdate and rekey after this many records under one key"
                    + " (Linux 6.14+; RFC 8446 section 5.5); 0 never (default: ${DEFAULT-VALUE}).")
    long rekeyAfter = ServerConfig.DEFAULT_REKEY_RECORDS;

    @Option(names = "--native-crypto", paramLabel = "auto|off",
            description = "Sign handshakes (ECDSA keys) with AWS-LC through AmazonCorrettoCryptoProvider where its"
                    + " library loads (x86-64 Linux), and compute X25519 with OpenSSL's libcrypto where it loads;"
                    + " else BouncyCastle; or always BouncyCastle (default: auto).")
    String nativeCrypto = "auto";

    @Option(names = "--return-heap-after", paramLabel = "DURATION|off",
            description = "After a burst of handshakes or requests, once this long has passed with no more than a"
                    + " trickle (2 a second), run one garbage collection that gives the heap the burst grew back to"
                    + " the OS (default: ${DEFAULT-VALUE}).")
    String returnHeapAfter = "15s";

    @Option(names = "--status", paramLabel = "ACCESS", converter = StatusConverter.class,
            description = "Who may read /server-status: loopback, any or off (default: loopback).")
    StatusAccess status = StatusAccess.LOOPBACK;

    @Option(names = "--access-log", paramLabel = "FILE|off",
            description = "Write the access log (combined format) to FILE, or turn it off (default: standard output).")
    String accessLog;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace (default: info; debug shows each connection's TLS mode).")
    String logLevel = "info";

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler(new OneLineErrors(cli.getParameterExceptionHandler()));
        System.exit(cli.execute(args));
    }

    /** Start-up errors: "ktls-https: " and one line that says what and where. */
    static final String ERROR_PREFIX = "ktls-https: ";

    /**
     * The usage text for a command line that cannot be read (an unknown option, an option
     * without its value), as picocli prints it; for a value that is wrong (a port out of range,
     * a missing certificate file) one line that names the option and the value, status 2.
     */
    static final class OneLineErrors implements CommandLine.IParameterExceptionHandler {
        private final CommandLine.IParameterExceptionHandler usage;

        OneLineErrors(CommandLine.IParameterExceptionHandler usage) {
            this.usage = usage;
        }

        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] args) throws Exception {
            if (e instanceof CommandLine.UnmatchedArgumentException
                    || e instanceof CommandLine.MissingParameterException
                    || e instanceof CommandLine.OverwrittenOptionException
                    || e instanceof CommandLine.MaxValuesExceededException) {
                return usage.handleParseException(e, args);
            }
            e.getCommandLine().getErr().println(ERROR_PREFIX + e.getMessage());
            return 2;
        }
    }

    @Override
    public Integer call() throws Exception {
        configureLogging();
        Logger log = LoggerFactory.getLogger(Main.class);
        // The server's own threads end the process on an Error (server.Fatal); this covers the rest.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof Error error) {
                Fatal.exit("thread " + thread.getName(), error);
            }
            log.error("uncaught in thread {}", thread.getName(), e);
        });
        ServerConfig config = config();
        Duration heapQuiet = returnHeapAfter();
        HttpsServer server;
        try {
            server = HttpsServer.start(config);
        } catch (StartupException e) {
            System.err.println(ERROR_PREFIX + e.getMessage());
            return 2;
        }
        for (String line : server.banner().split("\n")) {
            log.info(line);
        }
        installSignals(log, server);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: finishing requests in flight (up to {} s)", config.shutdownGrace().toSeconds());
            server.stop(config.shutdownGrace());
            log.info("stopped");
        }, "shutdown"));
        HeapReturn heap = heapQuiet == null ? HeapReturn.off() : HeapReturn.start(heapQuiet,
                server.metrics()::work, server.metrics()::busy);
        log.info(heap.describe());
        server.awaitStop();
        heap.close();
        return 0;
    }

    /**
     * SIGHUP reloads --cert and --key (nothing else: other options stay as started); without
     * them there is nothing to reload, and the signal is only logged. SIGUSR1 reopens the
     * access log file (logrotate's postrotate), as nginx's {@code -s reopen}.
     */
    private void installSignals(Logger log, HttpsServer server) {
        if (cert != null) {
            CertificateFiles files = new CertificateFiles(cert, key);
            Signals.on("HUP", () -> files.reloadInto(server.credentials()));
        } else {
            Signals.on("HUP", () -> log.warn("SIGHUP: nothing to reload (a self-signed certificate, no --cert)"));
        }
        Signals.on("USR1", () -> reopenAccessLog(log));
    }

    /**
     * Reopens every file the access log writes to, under its path: after logrotate renamed
     * it, new lines go to a new file. Logback's FileAppender.openFile holds the appender's
     * write lock while it flushes and closes the old stream and opens the new one, and each
     * line is written whole under that lock, so every line lands in one file or the other,
     * once. A file that cannot be opened leaves the old one in use (WARN).
     */
    private static void reopenAccessLog(Logger log) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        int reopened = 0;
        for (var it = context.getLogger("access").iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof FileAppender<?> file && file.isStarted()) {
                try {
                    file.openFile(file.getFile());
                    reopened++;
                } catch (IOException e) {
                    log.warn("SIGUSR1: access log {} not reopened, still writing to the old file: {}",
                            file.getFile(), e.getMessage());
                }
            }
        }
        log.info("SIGUSR1: reopened {} access log file(s)", reopened);
    }

    /** --return-heap-after: null for off. */
    private Duration returnHeapAfter() {
        if ("off".equalsIgnoreCase(returnHeapAfter.trim())) {
            return null;
        }
        Duration quiet;
        try {
            quiet = new DurationConverter().convert(returnHeapAfter);
        } catch (CommandLine.TypeConversionException e) {
            quiet = Duration.ZERO;
        }
        if (quiet.isNegative() || quiet.isZero()) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--return-heap-after: expected a positive duration or off, not '" + returnHeapAfter + "'");
        }
        return quiet;
    }

    private ServerConfig config() throws Exception {
        if ((cert == null) != (key == null)) {
            throw valueError("--cert and --key go together");
        }
        ServerCredentials credentials;
        try {
            credentials = cert == null ? ServerCredentials.selfSigned() : new CertificateFiles(cert, key).load();
        } catch (StartupException e) {
            throw valueError(e.getMessage());
        }
        if (port < 0 || port > 65535) {
            throw valueError("--port " + port + ": not a TCP port (0 to 65535; 0 picks a free one)");
        }
        atLeast("--max-connections", maxConnections, 1);
        atLeast("--loops", loops, 1);
        atLeast("--session-cache", sessionCache, 0);
        atLeast("--rekey-after", rekeyAfter, 0);
        TicketKeys.Key ticketKeyRead = null;
        if (ticketKey != null) {
            try {
                ticketKeyRead = TicketKeys.Key.read(ticketKey);
            } catch (IOException e) {
                throw valueError("--ticket-key " + ticketKey + ": " + e.getMessage());
            }
        }
        return new ServerConfig(bindAddress(), port, root, credentials,
                cert == null, ktls, versions(), ciphers(), maxConnections, loops, handshakeTimeout, headerTimeout,
                idleTimeout, shutdownGrace, status, RequestLimits.DEFAULT, onOff("--sendfile", sendfile),
                sessionCache, sessionTimeout, rekeyAfter, autoOff("--native-crypto", nativeCrypto),
                onOff("--session-tickets", sessionTickets), ticketKeyRead);
    }

    /** --bind: null for all interfaces; a name must resolve (to an address this host has: bind says). */
    private InetAddress bindAddress() {
        if (bind == null) {
            return null;
        }
        try {
            return InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw valueError("--bind " + bind + ": no such host or address");
        }
    }

    private void atLeast(String option, long value, long least) {
        if (value < least) {
            throw valueError(option + " " + value + ": must be at least " + least);
        }
    }

    /** A wrong value, or values that do not go together: one line (see OneLineErrors), status 2. */
    private CommandLine.ParameterException valueError(String message) {
        return new CommandLine.ParameterException(new CommandLine(this), message);
    }

    private boolean onOff(String option, String value) {
        return choice(option, value, "on", "off");
    }

    private boolean autoOff(String option, String value) {
        return choice(option, value, "auto", "off");
    }

    /** True for {@code yes}, false for {@code no}, in any case; anything else is a usage error. */
    private boolean choice(String option, String value, String yes, String no) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals(yes) || v.equals(no)) {
            return v.equals(yes);
        }
        throw new CommandLine.ParameterException(new CommandLine(this),
                option + ": expected " + yes + " or " + no + ", not '" + value + "'");
    }

    private Set<TlsVersion> versions() {
        Set<TlsVersion> versions = EnumSet.noneOf(TlsVersion.class);
        for (String v : tls) {
            switch (v.trim().toLowerCase(Locale.ROOT).replace("tlsv", "")) {
                case "1.2": versions.add(TlsVersion.TLS_1_2); break;
                case "1.3": versions.add(TlsVersion.TLS_1_3); break;
                default: throw new CommandLine.ParameterException(new CommandLine(this),
                        "--tls: unknown version '" + v + "' (use 1.2, 1.3)");
            }
        }
        return versions;
    }

    private Set<AeadCipher> ciphers() {
        Set<AeadCipher> set = EnumSet.noneOf(AeadCipher.class);
        for (String c : ciphers) {
            try {
                set.add(AeadCipher.valueOf(c.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--ciphers: unknown cipher '" + c
                        + "' (use AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305, AES_128_CCM)");
            }
        }
        return set;
    }

    private void configureLogging() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Level level = Level.toLevel(logLevel, null);
        if (level == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--log-level: unknown level " + logLevel);
        }
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(level);
        ch.qos.logback.classic.Logger access = context.getLogger("access");
        if ("off".equalsIgnoreCase(accessLog)) {
            access.setLevel(Level.OFF);
        } else if (accessLog != null) {
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(context);
            encoder.setPattern("%msg%n");
            encoder.start();
            FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> file = new FileAppender<>();
            file.setContext(context);
            file.setName("access-file");
            file.setFile(accessLog);
            file.setEncoder(encoder);
            file.start();
            if (!file.isStarted()) {
                // Logback only records why in its status list, and the log would be lost unseen.
                throw valueError("--access-log " + accessLog + ": " + whyNotWritable(Path.of(accessLog)));
            }
            access.detachAndStopAllAppenders();
            access.addAppender(file);
        }
    }

    /** Why a file cannot be opened to append to, as the file system says. */
    private static String whyNotWritable(Path file) {
        try {
            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
            return "cannot be opened for writing";
        } catch (AccessDeniedException e) {
            return "permission denied";
        } catch (NoSuchFileException e) {
            return "no such directory";
        } catch (FileSystemException e) {
            return e.getReason() == null ? "cannot be opened for writing" : e.getReason().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** "10s", "500ms", "2m", or plain seconds. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                if (v.endsWith("s")) {
                    return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                if (v.endsWith("m")) {
                    return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                return Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("expected a duration such as 10s, 500ms or 2m, not '"
                        + value + "'");
            }
        }
    }

    static final class ModeConverter implements CommandLine.ITypeConverter<KtlsMode> {
        @Override
        public KtlsMode convert(String value) {
            return oneOf(KtlsMode.class, value, "auto, required or off");
        }
    }

    static final class StatusConverter implements CommandLine.ITypeConverter<StatusAccess> {
        @Override
        public StatusAccess convert(String value) {
            return oneOf(StatusAccess.class, value, "loopback, any or off");
        }
    }

    /** The constant named by value in any case, or a message that lists the choices (not a Java enum's). */
    static <E extends Enum<E>> E oneOf(Class<E> type, String value, String choices) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("expected " + choices + ", not '" + value + "'");
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ktls-https " + Version.VERSION};
        }
    }
}
