package io.ktlshttps.http;

/** A request the server refuses, with the status to answer and, for 405, the methods allowed. */
public final class HttpException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    public HttpException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
