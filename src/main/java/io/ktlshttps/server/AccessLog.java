package io.ktlshttps.server;

import io.ktlshttps.http.HttpRequest;
import java.net.InetSocketAddress;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Requests in the combined log format, through the SLF4J logger "access". */
final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("access");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);

    private AccessLog() {
    }

    static void log(InetSocketAddress peer, HttpRequest request, int status, long bytes) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        String host = peer == null ? "-" : peer.getAddress().getHostAddress();
        String line = request == null ? "-" : request.method() + " " + request.target() + " " + request.version();
        LOG.info("{} - - [{}] \"{}\" {} {} \"{}\" \"{}\"", host, TIME.format(ZonedDateTime.now(ZoneId.systemDefault())),
                quote(line), status, bytes == 0 ? "-" : Long.toString(bytes),
                quote(header(request, "Referer")), quote(header(request, "User-Agent")));
    }

    private static String header(HttpRequest request, String name) {
        String value = request == null ? null : request.header(name);
        return value == null ? "-" : value;
    }

    /** Escapes quotes, backslashes and control characters so a log line cannot be forged. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
