package io.ktlshttps.net;

/** Alert levels and descriptions, RFC 8446 section 6 and RFC 5246 section 7.2. */
public final class TlsAlert {
    /** The content type of alert records, RFC 8446 section 5.1. */
    public static final int CONTENT_TYPE = 21;
    public static final int HANDSHAKE_CONTENT_TYPE = 22;
    public static final int APPLICATION_DATA_CONTENT_TYPE = 23;

    public static final int WARNING = 1;
    public static final int FATAL = 2;

    public static final int CLOSE_NOTIFY = 0;
    public static final int UNEXPECTED_MESSAGE = 10;
    public static final int BAD_RECORD_MAC = 20;
    public static final int RECORD_OVERFLOW = 22;
    public static final int HANDSHAKE_FAILURE = 40;
    public static final int ILLEGAL_PARAMETER = 47;
    public static final int DECODE_ERROR = 50;
    public static final int PROTOCOL_VERSION = 70;
    public static final int INTERNAL_ERROR = 80;
    public static final int USER_CANCELED = 90;
    public static final int NO_RENEGOTIATION = 100;

    private TlsAlert() {
    }

    public static String describe(int description) {
        switch (description) {
            case CLOSE_NOTIFY: return "close_notify";
            case UNEXPECTED_MESSAGE: return "unexpected_message";
            case BAD_RECORD_MAC: return "bad_record_mac";
            case RECORD_OVERFLOW: return "record_overflow";
            case HANDSHAKE_FAILURE: return "handshake_failure";
            case ILLEGAL_PARAMETER: return "illegal_parameter";
            case DECODE_ERROR: return "decode_error";
            case PROTOCOL_VERSION: return "protocol_version";
            case INTERNAL_ERROR: return "internal_error";
            case USER_CANCELED: return "user_canceled";
            case NO_RENEGOTIATION: return "no_renegotiation";
            default: return "alert(" + description + ")";
        }
    }
}
