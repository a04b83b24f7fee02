package io.ktlshttps.http;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A response: status, headers, and a body that is either bytes or a region of a file
 * (sent by sendfile where the kernel does TLS). Content-Length, Date and Server are added
 * by {@link #head}.
 */
public final class HttpResponse {
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(200, "OK"), Map.entry(206, "Partial Content"), Map.entry(301, "Moved Permanently"),
            Map.entry(304, "Not Modified"), Map.entry(400, "Bad Request"), Map.entry(403, "Forbidden"),
            Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"), Map.entry(408, "Request Timeout"),
            Map.entry(413, "Content Too Large"), Map.entry(414, "URI Too Long"),
            Map.entry(416, "Range Not Satisfiable"), Map.entry(431, "Request Header Fields Too Large"),
            Map.entry(500, "Internal Server Error"), Map.entry(501, "Not Implemented"),
            Map.entry(503, "Service Unavailable"), Map.entry(505, "HTTP Version Not Supported"));

    /** The methods this server implements, for Allow (RFC 9110 section 10.2.1). */
    public static final String ALLOWED_METHODS = "GET, HEAD";

    /** A part of a file. */
    public record FileRegion(Path file, long offset, long length) {
    }

    private final int status;
    private final List<HttpRequest.Header> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private int bodyOffset;
    private int bodyLength;
    private FileRegion file;
    private boolean close;

    public HttpResponse(int status) {
        this.status = status;
    }

    /** A small fixed HTML body naming the status; never echoes the request. */
    public static HttpResponse error(int status) {
        HttpResponse response = new HttpResponse(status);
        String title = status + " " + reason(status);
        response.header("Content-Type", "text/html; charset=utf-8");
        response.body(("<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title
                + "</h1></body></html>\n").getBytes(StandardCharsets.UTF_8));
        if (status == 405) {
            response.header("Allow", ALLOWED_METHODS);
        }
        return response;
    }

    public static String reason(int status) {
        return REASONS.getOrDefault(status, "Status " + status);
    }

    public int status() {
        return status;
    }

    public HttpResponse header(String name, String value) {
        headers.add(new HttpRequest.Header(name, value));
        return this;
    }

    public String header(String name) {
        for (HttpRequest.Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    public HttpResponse body(byte[] bytes) {
        return sharedBody(bytes.clone(), 0, bytes.length);
    }

    /**
     * A body that is a part of an array the caller never changes afterwards (a cached
     * file): kept by reference, not copied.
     */
    public HttpResponse sharedBody(byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        this.body = bytes;
        this.bodyOffset = offset;
        this.bodyLength = length;
        this.file = null;
        return this;
    }

    public HttpResponse body(FileRegion region) {
        this.file = region;
        this.body = new byte[0];
        this.bodyOffset = 0;
        this.bodyLength = 0;
        return this;
    }

    public byte[] bytes() {
        return java.util.Arrays.copyOfRange(body, bodyOffset, bodyOffset + bodyLength);
    }

    /** Copies the byte body into {@code destination} at {@code at}. */
    public void copyBody(byte[] destination, int at) {
        System.arraycopy(body, bodyOffset, destination, at, bodyLength);
    }

    /** The file region to send, or null for a byte body. */
    public FileRegion fileRegion() {
        return file;
    }

    public long contentLength() {
        return file != null ? file.length() : bodyLength;
    }

    /** Ask to close the connection after this response ("Connection: close"). */
    public HttpResponse closeAfter() {
        this.close = true;
        return this;
    }

    public boolean closesConnection() {
        return close;
    }

    /** 1xx, 204 and 304 responses have no body and no Content-Length of their own (RFC 9110 section 8.6). */
    private boolean mayHaveContentLength() {
        return status != 304 && status != 204 && status >= 200;
    }

    /** The status line and header block, CRLF-terminated, as US-ASCII. */
    public byte[] head(String version, String date, String server) {
        StringBuilder b = new StringBuilder(256);
        b.append(version).append(' ').append(status).append(' ').append(reason(status)).append("\r\n");
        b.append("Date: ").append(date).append("\r\n");
        b.append("Server: ").append(server).append("\r\n");
        for (HttpRequest.Header h : headers) {
            b.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        if (mayHaveContentLength()) {
            b.append("Content-Length: ").append(contentLength()).append("\r\n");
        }
        if (close) {
            b.append("Connection: close\r\n");
        } else if (version.equals("HTTP/1.0")) {
            b.append("Connection: keep-alive\r\n");
        }
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
