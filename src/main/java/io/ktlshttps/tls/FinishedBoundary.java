package io.ktlshttps.tls;

/**
 * Where the client's bytes may be taken up to during a handshake once the server has
 * spoken: to the end of the first record that may be its Finished, never past it
 * ({@link HandshakeDriver}). It follows the record boundaries through every byte taken,
 * partial records included, so a batch may start in the middle of a record.
 */
final class FinishedBoundary {
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int HANDSHAKE = 22;
    private static final int APPLICATION_DATA = 23;

    /** The header of the record being taken, as far as it has come, and the body bytes still to come. */
    private final byte[] header = new byte[5];
    private int headerFill;
    private int bodyLeft;
    private boolean afterChangeCipherSpec;
    /** Where the record that ended the last {@link #upToFinished} batch began in it; -1 if it began earlier or none did. */
    private int candidateStart = -1;

    /**
     * How many of the first {@code seen} bytes (what a peek showed) may be taken: all of
     * them, or up to the end of the first record that may be the Finished: the first
     * application-data record (TLS 1.3 sends every handshake message after its ClientHello
     * as type 23 on the wire), or the first handshake record after a ChangeCipherSpec
     * (TLS 1.2's Finished; after a HelloRetryRequest, the second ClientHello, which only
     * ends the batch early).
     */
    int upToFinished(byte[] bytes, int seen) {
        byte[] h = header.clone();
        int fill = headerFill;
        int left = bodyLeft;
        boolean changed = afterChangeCipherSpec;
        int at = 0;
        int recordStart = fill == 0 && left == 0 ? 0 : -1;
        candidateStart = -1;
        while (at < seen) {
            if (left == 0 && fill < 5) {
                if (fill == 0) {
                    recordStart = at;
                }
                h[fill++] = bytes[at++];
                if (fill < 5) {
                    continue;
                }
                left = (h[3] & 0xff) << 8 | h[4] & 0xff;
            } else {
                int take = Math.min(left, seen - at);
                left -= take;
                at += take;
            }
            if (fill == 5 && left == 0) {
                int type = h[0] & 0xff;
                if (type == APPLICATION_DATA || type == HANDSHAKE && changed) {
                    candidateStart = recordStart;
                    return at;
                }
                if (type == CHANGE_CIPHER_SPEC) {
                    changed = true;
                }
                fill = 0;
            }
        }
        return at;
    }

    /**
     * Where, in the last batch {@link #upToFinished} measured, the record that ended it (the
     * one that may be the Finished) began: -1 if the batch did not end with one, or it began
     * in an earlier batch.
     */
    int candidateStart() {
        return candidateStart;
    }

    /** Follows the record boundaries through n bytes taken. */
    void taken(byte[] bytes, int n) {
        int at = 0;
        while (at < n) {
            if (bodyLeft == 0 && headerFill < 5) {
                int take = Math.min(5 - headerFill, n - at);
                System.arraycopy(bytes, at, header, headerFill, take);
                headerFill += take;
                at += take;
                if (headerFill < 5) {
                    return;
                }
                bodyLeft = (header[3] & 0xff) << 8 | header[4] & 0xff;
            } else {
                int take = Math.min(bodyLeft, n - at);
                bodyLeft -= take;
                at += take;
            }
            if (headerFill == 5 && bodyLeft == 0) {
                if ((header[0] & 0xff) == CHANGE_CIPHER_SPEC) {
                    afterChangeCipherSpec = true;
                }
                headerFill = 0;
            }
        }
    }

    /** Whether the bytes taken so far end at a record boundary. */
    boolean atRecordBoundary() {
        return headerFill == 0 && bodyLeft == 0;
    }
}
