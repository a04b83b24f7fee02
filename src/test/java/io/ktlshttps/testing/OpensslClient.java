package io.ktlshttps.testing;

import io.ktlshttps.net.TlsVersion;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** `openssl s_client -quiet` as a child process: its stdin goes to the server, the server's data to its stdout. */
public final class OpensslClient implements AutoCloseable {
    private final Process process;
    private final File stderr;

    private OpensslClient(Process process, File stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    /**
     * Connects with one version and one suite. With -no_ign_eof, closing stdin makes
     * s_client send close_notify and exit; otherwise it exits when the server closes.
     */
    public static OpensslClient connect(int port, TestSuites suite, boolean exitOnStdinEof) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-quiet", "-alpn", "http/1.1"));
        if (exitOnStdinEof) {
            command.add("-no_ign_eof");
        }
        if (suite.version == TlsVersion.TLS_1_3) {
            command.addAll(List.of("-tls1_3", "-ciphersuites", suite.opensslName));
        } else {
            command.addAll(List.of("-tls1_2", "-cipher", suite.opensslName));
        }
        File stderr = File.createTempFile("openssl-", ".err");
        stderr.deleteOnExit();
        Process process = new ProcessBuilder(command).redirectError(stderr).start();
        return new OpensslClient(process, stderr);
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    public InputStream stdout() {
        return process.getInputStream();
    }

    /** Waits for exit and returns the status; a diagnostic includes stderr. */
    public int waitFor() throws Exception {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("openssl s_client did not exit: " + diagnostics());
        }
        return process.exitValue();
    }

    public String diagnostics() throws IOException {
        return Files.readString(stderr.toPath());
    }

    @Override
    public void close() {
        process.destroyForcibly();
        stderr.delete();
    }
}
