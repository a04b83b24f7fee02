package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
    private static ByteRange ok(String header, long size) {
        return assertInstanceOf(ByteRange.Satisfiable.class, ByteRange.evaluate(header, size)).range();
    }

    @Test
    void theThreeForms() {
        assertEquals(new ByteRange(0, 9), ok("bytes=0-9", 100));
        assertEquals(new ByteRange(90, 99), ok("bytes=90-", 100));
        assertEquals(new ByteRange(80, 99), ok("bytes=-20", 100));
        assertEquals("bytes 0-9/100", ok("bytes=0-9", 100).contentRange(100));
        assertEquals(10, ok("bytes=0-9", 100).length());
    }

    @Test
    void clampsToTheEnd() {
        assertEquals(new ByteRange(50, 99), ok("bytes=50-1000", 100));
        assertEquals(new ByteRange(0, 99), ok("bytes=-1000", 100));
    }

    @Test
    void unsatisfiable() {
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.evaluate("bytes=100-", 100));
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.evaluate("bytes=-0", 100));
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.evaluate("bytes=0-1", 0));
    }

    @Test
    void ignoredHeaders() {
        for (String h : new String[] {null, "items=0-1", "bytes=5-1", "bytes=0-1,5-6", "bytes=x-1", "bytes=-", "bytes"}) {
            assertInstanceOf(ByteRange.Ignored.class, ByteRange.evaluate(h, 100), String.valueOf(h));
        }
    }
}
