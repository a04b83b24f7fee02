package io.ktlshttps.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test during which the server logged a WARN or an ERROR. Clients that abort,
 * reset, time out or break the protocol are ordinary on the internet: the server logs
 * them at debug or info, and keeps WARN and ERROR for its own trouble.
 */
public final class ServerLogWatch implements BeforeEachCallback, AfterEachCallback {
    private static final String SERVER_LOGGERS = "io.ktlshttps";

    private ListAppender<ILoggingEvent> appender;

    @Override
    public void beforeEach(ExtensionContext context) {
        Logger logger = (Logger) LoggerFactory.getLogger(SERVER_LOGGERS);
        appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Logger logger = (Logger) LoggerFactory.getLogger(SERVER_LOGGERS);
        logger.detachAppender(appender);
        appender.stop();
        List<ILoggingEvent> loud;
        synchronized (appender) { // AppenderBase.doAppend holds this lock while appending
            loud = appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .collect(Collectors.toList());
        }
        if (!loud.isEmpty()) {
            throw new AssertionError("the server logged at WARN or above:\n" + loud.stream()
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : " (" + e.getThrowableProxy().getClassName()
                                    + ": " + e.getThrowableProxy().getMessage() + ")"))
                    .collect(Collectors.joining("\n")));
        }
    }
}
