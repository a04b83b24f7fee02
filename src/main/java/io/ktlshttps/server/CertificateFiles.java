package io.ktlshttps.server;

import io.ktlshttps.tls.ServerCredentials;
import io.ktlshttps.tls.ServingCredentials;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The --cert and --key files: read and checked at start-up, and again on SIGHUP, when a
 * renewed certificate replaces the one new handshakes get. Both times the same checks
 * ({@link ServerCredentials#fromPem}: a chain, a key we can serve, the key of the leaf)
 * and the same one-line reasons.
 */
public final class CertificateFiles {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateFiles.class);
    private final Path certificate;
    private final Path key;

    public CertificateFiles(Path certificate, Path key) {
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Reads and checks both files.
     *
     * @throws StartupException with one line that names the option and the file, and why
     */
    public ServerCredentials load() throws StartupException {
        try {
            return ServerCredentials.fromPem(certificate, key);
        } catch (NoSuchFileException | AccessDeniedException e) {
            // Name the one file that cannot be opened.
            String option = Path.of(e.getFile()).equals(key) ? "--key " : "--cert ";
            throw new StartupException(option + e.getFile() + ": "
                    + (e instanceof NoSuchFileException ? "no such file" : "permission denied"), e);
        } catch (IOException | IllegalArgumentException e) {
            // A file that does not parse, or a key we cannot serve: say which, in one line.
            throw new StartupException("--cert " + certificate + " --key " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * SIGHUP: reads both files again; if they pass, new handshakes use them from now on and
     * the banner's certificate line is logged again. If not, one WARN line says why and the
     * certificate in service stays. Connections already made are not touched. One reload at
     * a time (two quick signals run on two threads).
     *
     * @return whether the new certificate is in service
     */
    public synchronized boolean reloadInto(ServingCredentials serving) {
        ServerCredentials next;
        try {
            next = load();
        } catch (StartupException e) {
            LOG.warn("SIGHUP: certificate not reloaded, still serving SHA-256 {}: {}",
                    serving.current().fingerprintSha256(), e.getMessage());
            return false;
        }
        ServerCredentials now = serving.replace(next);
        LOG.info("SIGHUP: certificate reloaded from {} and {}", certificate, key);
        LOG.info(describe(now, false));
        return true;
    }

    /** The banner's certificate line. */
    public static String describe(ServerCredentials credentials, boolean selfSigned) {
        return "certificate: " + (selfSigned ? "self-signed (localhost, 127.0.0.1, ::1), " : "") + "SHA-256 "
                + credentials.fingerprintSha256() + ", not after " + credentials.notAfter();
    }
}
