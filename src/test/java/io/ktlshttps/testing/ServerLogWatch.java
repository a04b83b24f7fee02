package io.ktlshttps.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test during which the server logged a WARN or an ERROR. Clients that abort,
 * reset, time out or break the protocol are ordinary on the internet: the server logs
 * them at debug or info, and keeps WARN and ERROR for its own trouble.
 *
 * <p>Two windows: each test (checked after it), and the whole class, from before its
 * first {@code @BeforeAll} to after its last {@code @AfterAll} (checked at the end), which
 * catches what a server logs while it starts, between tests (a connection thread that
 * outlives its test), and while it stops.
 */
public final class ServerLogWatch implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    private static final String SERVER_LOGGERS = "io.ktlshttps";

    private ListAppender<ILoggingEvent> classWindow;
    private ListAppender<ILoggingEvent> testWindow;
    /** Warnings the running test expects (each must then be logged); the class window allows them too. */
    private static final java.util.Set<String> EXPECTED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.Set<String> ALLOWED_IN_CLASS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Declares, inside a test, a WARN the server must log during it (a message containing
     * fragment): a server fault the test provokes on purpose. The test fails if it is
     * not logged.
     */
    public static void expectWarning(String fragment) {
        EXPECTED.add(fragment);
        ALLOWED_IN_CLASS.add(fragment);
    }

    private static boolean allowed(ILoggingEvent e, java.util.Set<String> fragments) {
        return fragments.stream().anyMatch(f -> e.getFormattedMessage().contains(f));
    }

    private static ListAppender<ILoggingEvent> open() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(SERVER_LOGGERS)).addAppender(appender);
        return appender;
    }

    private static void close(ListAppender<ILoggingEvent> appender, String window, java.util.Set<String> fragments) {
        ((Logger) LoggerFactory.getLogger(SERVER_LOGGERS)).detachAppender(appender);
        appender.stop();
        List<ILoggingEvent> loud;
        synchronized (appender) { // AppenderBase.doAppend holds this lock while appending
            loud = appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .collect(Collectors.toList());
        }
        if (fragments == EXPECTED) {
            for (String f : fragments) {
                if (loud.stream().noneMatch(e -> e.getFormattedMessage().contains(f))) {
                    throw new AssertionError("the server did not log the expected warning \"" + f + "\" " + window);
                }
            }
        }
        loud.removeIf(e -> allowed(e, fragments));
        if (!loud.isEmpty()) {
            throw new AssertionError("the server logged at WARN or above " + window + ":\n" + loud.stream()
                    .map(e -> e.getLevel() + " [" + e.getThreadName() + "] " + e.getLoggerName() + " - "
                            + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : " (" + e.getThrowableProxy().getClassName()
                                    + ": " + e.getThrowableProxy().getMessage() + ")"))
                    .collect(Collectors.joining("\n")));
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ALLOWED_IN_CLASS.clear();
        classWindow = open();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close(classWindow, "while the test class ran (start, between tests, stop)", ALLOWED_IN_CLASS);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        EXPECTED.clear();
        testWindow = open();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            close(testWindow, "during the test", EXPECTED);
        } finally {
            EXPECTED.clear();
        }
    }
}
