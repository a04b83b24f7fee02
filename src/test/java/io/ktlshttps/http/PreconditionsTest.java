package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreconditionsTest {
    private static final String ETAG = "\"64-abc\"";
    private static final Instant MODIFIED = Instant.parse("2026-01-02T03:04:05Z");

    private static HttpRequest request(String... headers) {
        List<HttpRequest.Header> list = new ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            list.add(new HttpRequest.Header(headers[i], headers[i + 1]));
        }
        return new HttpRequest("GET", "/", "/", null, "HTTP/1.1", list);
    }

    @Test
    void ifNoneMatch() {
        assertTrue(Preconditions.notModified(request("If-None-Match", ETAG), ETAG, MODIFIED));
        assertTrue(Preconditions.notModified(request("If-None-Match", "\"x\", W/" + ETAG), ETAG, MODIFIED));
        assertTrue(Preconditions.notModified(request("If-None-Match", "*"), ETAG, MODIFIED));
        assertFalse(Preconditions.notModified(request("If-None-Match", "\"other\""), ETAG, MODIFIED));
        // If-None-Match wins over If-Modified-Since (RFC 9110 section 13.2.2).
        assertFalse(Preconditions.notModified(request("If-None-Match", "\"other\"",
                "If-Modified-Since", HttpDate.format(MODIFIED)), ETAG, MODIFIED));
    }

    @Test
    void ifModifiedSince() {
        assertTrue(Preconditions.notModified(request("If-Modified-Since", HttpDate.format(MODIFIED)), ETAG, MODIFIED));
        assertTrue(Preconditions.notModified(request("If-Modified-Since", "Fri, 02 Jan 2026 03:04:06 GMT"), ETAG,
                MODIFIED.plusMillis(400)));
        assertFalse(Preconditions.notModified(request("If-Modified-Since", HttpDate.format(MODIFIED.minusSeconds(1))),
                ETAG, MODIFIED));
        assertFalse(Preconditions.notModified(request("If-Modified-Since", "garbage"), ETAG, MODIFIED));
        assertTrue(Preconditions.notModified(request("If-Modified-Since", "Friday, 02-Jan-26 03:04:05 GMT"), ETAG,
                MODIFIED));
        assertTrue(Preconditions.notModified(request("If-Modified-Since", "Fri Jan  2 03:04:05 2026"), ETAG, MODIFIED));
    }

    @Test
    void ifRange() {
        assertTrue(Preconditions.rangeApplies(request(), ETAG, MODIFIED));
        assertTrue(Preconditions.rangeApplies(request("If-Range", ETAG), ETAG, MODIFIED));
        assertFalse(Preconditions.rangeApplies(request("If-Range", "W/" + ETAG), ETAG, MODIFIED));
        assertFalse(Preconditions.rangeApplies(request("If-Range", "\"stale\""), ETAG, MODIFIED));
        assertTrue(Preconditions.rangeApplies(request("If-Range", HttpDate.format(MODIFIED)), ETAG, MODIFIED));
        assertFalse(Preconditions.rangeApplies(request("If-Range", HttpDate.format(MODIFIED.minusSeconds(9))), ETAG,
                MODIFIED));
    }
}
