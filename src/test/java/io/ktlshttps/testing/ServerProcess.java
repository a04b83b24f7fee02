package io.ktlshttps.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The server as its own process ({@code java JVM-OPTIONS -cp <test class path>
 * io.ktlshttps.Main OPTIONS}), for tests about the JVM itself (heap, exit status): its
 * output collected line by line, and the port it says it serves on.
 */
public final class ServerProcess {
    private static final Pattern PORT = Pattern.compile("on https://127\\.0\\.0\\.1:(\\d+)");
    private final Process process;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    private ServerProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::collect);
        reader.setDaemon(true);
        reader.start();
    }

    public static ServerProcess start(List<String> jvmOptions, List<String> serverOptions) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ktlshttps.Main"));
        command.addAll(serverOptions);
        return new ServerProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    public Process process() {
        return process;
    }

    /** Every line so far (a synchronized list: lock it to iterate). */
    public List<String> output() {
        return output;
    }

    /** Waits up to {@code millis} for the output to end (after the process has exited). */
    public void awaitOutputEnd(long millis) throws InterruptedException {
        reader.join(millis);
    }

    /** The port from the banner's "on https://127.0.0.1:PORT", within 30 s. */
    public int awaitPort() throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            synchronized (output) {
                for (String line : output) {
                    Matcher m = PORT.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the server did not start:\n" + String.join("\n", output));
    }

    /** A server log line at WARN or ERROR (the banner's layout: time, level, [thread], logger). */
    private static final Pattern LOUD = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN|ERROR) ");

    /**
     * The lines so far that the server logged at WARN or ERROR: what the in-process tests'
     * ServerLogWatch catches, for a server in its own process.
     */
    public List<String> loudLines() {
        synchronized (output) {
            return output.stream().filter(l -> LOUD.matcher(l).find()).toList();
        }
    }

    /** The last 40 lines, for failure messages. */
    public String tail() {
        synchronized (output) {
            return String.join("\n", output.subList(Math.max(0, output.size() - 40), output.size()));
        }
    }

    private void collect() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException e) {
            output.add("(output unreadable: " + e + ")");
        }
    }

    /** A client context that accepts the server's self-signed certificate unchecked. */
    public static SSLContext trustingEverything() throws Exception {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // The server's self-signed certificate: these tests are about the process, not trust.
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustAll}, null);
        return context;
    }
}
