package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestParserTest {
    private final RequestParser parser = new RequestParser(RequestLimits.DEFAULT);

    private RequestParser.Parsed parse(String text) throws HttpException {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return parser.parse(bytes, bytes.length);
    }

    private int status(String text) {
        return assertThrows(HttpException.class, () -> parse(text)).status();
    }

    @Test
    void parsesAGetWithHeadersAndQuery() throws Exception {
        RequestParser.Parsed p = parse("GET /a%20b/c.txt?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n");
        HttpRequest r = p.request();
        assertEquals("GET", r.method());
        assertEquals("/a b/c.txt", r.path());
        assertEquals("x=1", r.query());
        assertEquals("t", r.header("user-agent"));
        assertTrue(r.keepAlive());
        assertEquals(0, p.bodyLength());
    }

    @Test
    void stopsAtTheEndOfTheFirstHeadForPipelining() throws Exception {
        String first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
        RequestParser.Parsed p = parse(first + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(first.length(), p.consumed());
        assertEquals("/1", p.request().path());
    }

    @Test
    void waitsForMoreBytes() throws Exception {
        assertNull(parse("GET / HTTP/1.1\r\nHost: h\r\n"));
        assertNull(parse("GET / HT"));
    }

    @Test
    void acceptsBareLfAndLeadingEmptyLines() throws Exception {
        assertEquals("/x", parse("\r\n\r\nGET /x HTTP/1.1\nHost: h\n\n").request().path());
    }

    @Test
    void connectionSemanticsPerVersion() throws Exception {
        assertFalse(parse("GET / HTTP/1.0\r\n\r\n").request().keepAlive());
        assertTrue(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").request().keepAlive());
        assertFalse(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").request().keepAlive());
    }

    @Test
    void absoluteFormKeepsThePath() throws Exception {
        assertEquals("/p", parse("GET https://example/p HTTP/1.1\r\nHost: example\r\n\r\n").request().path());
    }

    @Test
    void limits() {
        assertEquals(414, status("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(414, status("GET /" + "a".repeat(9000)));
        assertEquals(431, status("GET / HTTP/1.1\r\nHost: h\r\nX: " + "v".repeat(70_000) + "\r\n\r\n"));
        assertEquals(431, status("GET / HTTP/1.1\r\nHost: h\r\nX: " + "v".repeat(70_000)));
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 100; i++) {
            many.append("X-").append(i).append(": v\r\n");
        }
        assertEquals(431, status(many + "\r\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\n\r\n",                          // no Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",    // two Hosts
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",              // double space
        "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",               // not a token
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",    // obs-fold
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",              // space before colon
        "GET / HTTP/1.1\r\nHost h\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",            // bad escape
        "GET /%c3%28 HTTP/1.1\r\nHost: h\r\n\r\n",         // bad UTF-8
        "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n",           // CR in target
        "GET relative HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    })
    void malformedRequestsAre400(String request) {
        assertEquals(400, status(request));
    }

    @Test
    void otherVersionsAre505AndTransferCodingsAre501() {
        assertEquals(505, status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"));
        assertEquals(505, status("GET / HTTP/0.9\r\n\r\n"));
        assertEquals(501, status("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
    }

    @Test
    void reportsTheBodyLengthToDiscard() throws Exception {
        assertEquals(5, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello").bodyLength());
    }

    @Test
    void percentDecodingKeepsEncodedSlashesAndDotsDecoded() throws Exception {
        assertEquals("/../etc/passwd", RequestParser.percentDecode("/%2e%2e/etc/passwd"));
        assertEquals("/a/b", RequestParser.percentDecode("/a%2Fb"));
        assertEquals("/caf\u00e9", RequestParser.percentDecode("/caf%C3%A9"));
    }
}
