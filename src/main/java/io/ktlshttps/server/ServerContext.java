package io.ktlshttps.server;

import io.ktlshttps.files.FileHandler;
import io.ktlshttps.tls.TlsServerConfig;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * What a connection needs from the server that holds it, passed in rather than called
 * back: settings, the file handler, counters, whether the server is stopping (responses
 * then say Connection: close), and what to do on an Error.
 */
record ServerContext(ServerConfig config, TlsServerConfig tlsConfig, FileHandler files, ServerMetrics metrics,
        BooleanSupplier stopping, BiConsumer<String, Error> fatal) {
}
