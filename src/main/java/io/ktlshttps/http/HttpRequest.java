package io.ktlshttps.http;

import java.util.List;
import java.util.Locale;

/**
 * A parsed request head. The path is percent-decoded; the raw target is kept for logs.
 *
 * @param headers name/value pairs in arrival order; names as sent
 */
public record HttpRequest(String method, String target, String path, String query, String version,
        List<Header> headers) {
    /** One header field. */
    public record Header(String name, String value) {
    }

    public HttpRequest {
        headers = List.copyOf(headers);
    }

    /** The first value of a header, case-insensitively, or null. */
    public String header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** How many times a header appears. */
    public int headerCount(String name) {
        int count = 0;
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                count++;
            }
        }
        return count;
    }

    public boolean isHead() {
        return method.equals("HEAD");
    }

    /**
     * RFC 9112 section 9.3: HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 closes
     * unless "Connection: keep-alive".
     */
    public boolean keepAlive() {
        String connection = header("Connection");
        String tokens = connection == null ? "" : connection.toLowerCase(Locale.ROOT);
        if (version.equals("HTTP/1.0")) {
            return tokens.contains("keep-alive");
        }
        return !tokens.contains("close");
    }
}
