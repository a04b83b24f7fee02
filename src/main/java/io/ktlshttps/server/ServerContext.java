package io.ktlshttps.server;

import io.ktlshttps.files.FileHandler;
import io.ktlshttps.tls.TlsServerConfig;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What a connection needs from the server that holds it, passed in rather than called
 * back: settings, the file handler, counters, the poller it waits in, whether the
 * workers are crowded, where its brief wait starts, whether the server is stopping, who
 * to tell when it has closed, and what to do on an Error.
 */
record ServerContext(ServerConfig config, TlsServerConfig tlsConfig, FileHandler files, ServerMetrics metrics,
        ConnectionPoller poller, BooleanSupplier workersCrowded, BriefWaitStart briefWaitStart, BooleanSupplier stopping,
        Consumer<ServerConnection> closed, BiConsumer<String, Error> fatal) {
}
