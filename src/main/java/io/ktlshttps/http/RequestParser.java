package io.ktlshttps.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses an HTTP/1.1 request head (RFC 9112 sections 2 to 5) from bytes, with limits.
 * Violations throw {@link HttpException} carrying the status to answer: 400 for bad
 * syntax, 414 for a long request line, 431 for too many or too large headers, 505 for an
 * HTTP version other than 1.0 and 1.1, 501 for a transfer coding.
 */
public final class RequestParser {
    /** A complete head and how many bytes it took, body excluded. */
    public record Parsed(HttpRequest request, int consumed, long bodyLength) {
    }

    private final RequestLimits limits;

    public RequestParser(RequestLimits limits) {
        this.limits = limits;
    }

    /**
     * Parses the head at the start of data[0, length). Returns null if more bytes are
     * needed, or throws once the bytes so far already break a rule or a limit.
     */
    public Parsed parse(byte[] data, int length) throws HttpException {
        int start = skipLeadingEmptyLines(data, length);
        int lineEnd = indexOfLf(data, start, length);
        if (lineEnd < 0) {
            if (length - start > limits.maxRequestLine()) {
                throw new HttpException(414, "request line longer than " + limits.maxRequestLine() + " bytes");
            }
            return null;
        }
        if (lineEnd - start > limits.maxRequestLine()) {
            throw new HttpException(414, "request line longer than " + limits.maxRequestLine() + " bytes");
        }
        int headEnd = findHeadEnd(data, lineEnd + 1, length);
        if (headEnd < 0) {
            if (length - lineEnd - 1 > limits.maxHeaderBytes()) {
                throw new HttpException(431, "headers larger than " + limits.maxHeaderBytes() + " bytes");
            }
            return null;
        }
        if (headEnd - lineEnd - 1 > limits.maxHeaderBytes()) {
            throw new HttpException(431, "headers larger than " + limits.maxHeaderBytes() + " bytes");
        }
        String requestLine = latin1(data, start, trimCr(data, start, lineEnd));
        List<HttpRequest.Header> headers = parseHeaders(data, lineEnd + 1, headEnd);
        HttpRequest request = buildRequest(requestLine, headers);
        return new Parsed(request, headEnd, bodyLength(request));
    }

    private static int skipLeadingEmptyLines(byte[] data, int length) {
        int i = 0;
        while (i < length && (data[i] == '\r' || data[i] == '\n')) {
            i++;
        }
        return i;
    }

    private static int indexOfLf(byte[] data, int from, int length) {
        for (int i = from; i < length; i++) {
            if (data[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The index just past the empty line that ends the head, or -1. */
    private static int findHeadEnd(byte[] data, int from, int length) {
        int lineStart = from;
        for (int i = from; i < length; i++) {
            if (data[i] == '\n') {
                if (i == lineStart || (i == lineStart + 1 && data[lineStart] == '\r')) {
                    return i + 1;
                }
                lineStart = i + 1;
            }
        }
        return -1;
    }

    private static int trimCr(byte[] data, int start, int lf) {
        return lf > start && data[lf - 1] == '\r' ? lf - 1 : lf;
    }

    private static String latin1(byte[] data, int from, int to) {
        return new String(data, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private List<HttpRequest.Header> parseHeaders(byte[] data, int from, int headEnd) throws HttpException {
        List<HttpRequest.Header> headers = new ArrayList<>();
        int lineStart = from;
        for (int i = from; i < headEnd; i++) {
            if (data[i] != '\n') {
                continue;
            }
            int end = trimCr(data, lineStart, i);
            if (end > lineStart) {
                if (headers.size() == limits.maxHeaderFields()) {
                    throw new HttpException(431, "more than " + limits.maxHeaderFields() + " header fields");
                }
                headers.add(parseHeader(latin1(data, lineStart, end)));
            }
            lineStart = i + 1;
        }
        return headers;
    }

    private static HttpRequest.Header parseHeader(String line) throws HttpException {
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            throw new HttpException(400, "obsolete line folding in headers"); // RFC 9112 section 5.2
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new HttpException(400, "malformed header line");
        }
        String name = line.substring(0, colon);
        if (!isToken(name)) {
            throw new HttpException(400, "invalid header name"); // includes whitespace before the colon
        }
        String value = line.substring(colon + 1).strip();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                throw new HttpException(400, "control character in header value");
            }
        }
        return new HttpRequest.Header(name, value);
    }

    /** RFC 9110 section 5.6.2 token. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    private static HttpRequest buildRequest(String line, List<HttpRequest.Header> headers) throws HttpException {
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
            throw new HttpException(400, "malformed request line");
        }
        String version = parts[2];
        if (!version.matches("HTTP/[0-9]\\.[0-9]")) {
            throw new HttpException(400, "malformed HTTP version");
        }
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new HttpException(505, version + " is not supported");
        }
        String target = parts[1];
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new HttpException(400, "control, space or non-ASCII character in the request target");
            }
        }
        String pathAndQuery = originForm(target);
        int q = pathAndQuery.indexOf('?');
        String rawPath = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? null : pathAndQuery.substring(q + 1);
        HttpRequest request = new HttpRequest(parts[0], target, percentDecode(rawPath), query, version, headers);
        if (version.equals("HTTP/1.1") && request.headerCount("Host") != 1) {
            throw new HttpException(400, "HTTP/1.1 needs exactly one Host header"); // RFC 9112 section 3.2
        }
        return request;
    }

    /** The path and query of an origin-form or absolute-form target (RFC 9112 section 3.2). */
    private static String originForm(String target) throws HttpException {
        if (target.startsWith("/")) {
            return stripFragment(target);
        }
        String lower = target.toLowerCase(java.util.Locale.ROOT);
        for (String scheme : new String[] {"https://", "http://"}) {
            if (lower.startsWith(scheme)) {
                int slash = target.indexOf('/', scheme.length());
                return slash < 0 ? "/" : stripFragment(target.substring(slash));
            }
        }
        throw new HttpException(400, "request target must be a path");
    }

    private static String stripFragment(String target) {
        int hash = target.indexOf('#');
        return hash < 0 ? target : target.substring(0, hash);
    }

    /** RFC 3986 section 2.1 percent-decoding to UTF-8; malformed escapes or UTF-8 are 400. */
    static String percentDecode(String raw) throws HttpException {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new HttpException(400, "truncated percent-escape");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new HttpException(400, "invalid percent-escape");
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 2;
            } else {
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new HttpException(400, "path is not valid UTF-8");
        }
    }

    /** The request body's length: GET and HEAD bodies are read and dropped (RFC 9110 section 9.3.1). */
    private static long bodyLength(HttpRequest request) throws HttpException {
        if (request.header("Transfer-Encoding") != null) {
            if (request.header("Content-Length") != null) {
                throw new HttpException(400, "both Transfer-Encoding and Content-Length"); // RFC 9112 section 6.1
            }
            throw new HttpException(501, "request transfer codings are not supported");
        }
        String length = request.header("Content-Length");
        if (length == null) {
            return 0;
        }
        if (request.headerCount("Content-Length") > 1 || !length.matches("[0-9]{1,18}")) {
            throw new HttpException(400, "invalid Content-Length");
        }
        return Long.parseLong(length);
    }
}
