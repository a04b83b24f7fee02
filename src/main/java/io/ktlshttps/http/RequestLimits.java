package io.ktlshttps.http;

/** Size limits on a request head. */
public record RequestLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaderFields) {
    /** 8 KiB request line, 64 KiB of headers, 100 header fields. */
    public static final RequestLimits DEFAULT = new RequestLimits(8 * 1024, 64 * 1024, 100);
}
