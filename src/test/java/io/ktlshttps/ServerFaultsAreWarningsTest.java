package io.ktlshttps;

import io.ktlshttps.server.HttpsServer;
import io.ktlshttps.server.KtlsMode;
import io.ktlshttps.server.ServerConfig;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ktlshttps.testing.BcTestClient;
import io.ktlshttps.testing.TestCredentials;
import io.ktlshttps.testing.TestSuites;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The other side of ServerLogWatch: a fault of the server's own must reach WARN, or the
 * watch could never catch it. A file cut short while it is being sent cannot keep the
 * promised Content-Length: the connection ends, and that is logged as a warning (it was
 * logged at debug, like a client's reset). Not under ServerLogWatch, which would fail it.
 */
class ServerFaultsAreWarningsTest {
    @Test
    void aFileThatShrinksWhileSentIsAWarning() throws Exception {
        Path root = Files.createTempDirectory("ktls-shrink-");
        Path big = root.resolve("big.bin");
        Files.write(big, new byte[32 << 20]);
        Logger logger = (Logger) LoggerFactory.getLogger("io.ktlshttps");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        HttpsServer server = HttpsServer.start(ServerConfig.forTest(root, TestCredentials.ec(), KtlsMode.OFF));
        try (BcTestClient client = BcTestClient.connect(server.port(), TestSuites.TLS13_AES_128_GCM)) {
            client.output().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.input().readNBytes(100_000); // the server is now blocked sending
            try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            byte[] sink = new byte[65536];
            try {
                while (client.input().read(sink) >= 0) {
                    // read until the server ends the connection
                }
            } catch (java.io.IOException e) {
                // the cut is expected: the body cannot be completed
            }
        } finally {
            server.stop(Duration.ofSeconds(2));
            logger.detachAppender(appender);
        }
        List<String> warnings;
        synchronized (appender) {
            warnings = appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        }
        assertTrue(warnings.stream().anyMatch(m -> m.contains("shrank while being sent")), warnings.toString());
    }
}
