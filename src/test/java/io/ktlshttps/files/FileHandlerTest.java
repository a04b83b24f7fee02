package io.ktlshttps.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ktlshttps.http.HttpDate;
import io.ktlshttps.http.HttpRequest;
import io.ktlshttps.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHandlerTest {
    @TempDir
    Path root;
    FileHandler handler;
    static final Instant MODIFIED = Instant.parse("2026-03-04T05:06:07Z");

    @BeforeEach
    void files() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello world");
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(MODIFIED));
        Files.createDirectories(root.resolve("site"));
        Files.writeString(root.resolve("site/index.html"), "<p>index</p>");
        Files.createDirectories(root.resolve("plain"));
        handler = new FileHandler(new PathResolver(root));
    }

    private HttpResponse get(String method, String path, String... headers) throws Exception {
        List<HttpRequest.Header> list = new ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            list.add(new HttpRequest.Header(headers[i], headers[i + 1]));
        }
        return handler.handle(new HttpRequest(method, path, path, null, "HTTP/1.1", list));
    }

    @Test
    void wholeFileWithValidators() throws Exception {
        HttpResponse r = get("GET", "/hello.txt");
        assertEquals(200, r.status());
        assertEquals(11, r.contentLength());
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        assertEquals(HttpDate.format(MODIFIED), r.header("Last-Modified"));
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertNotNull(r.header("ETag"));
        assertNotNull(r.fileRegion());
    }

    /** Resolutions are reused for a second; what a file holds never is. */
    @Test
    void aChangedFileIsServedNewAtOnceAndADeletedOneIsA404() throws Exception {
        String etag = get("GET", "/hello.txt").header("ETag");
        Files.writeString(root.resolve("hello.txt"), "hello, changed world");
        HttpResponse changed = get("GET", "/hello.txt");
        assertEquals(20, changed.contentLength(), "the new size");
        assertNotEquals(etag, changed.header("ETag"), "a new validator");
        Files.writeString(root.resolve("replacement.tmp"), "replaced");
        Files.move(root.resolve("replacement.tmp"), root.resolve("hello.txt"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        assertEquals(8, get("GET", "/hello.txt").contentLength(), "replaced by rename");
        Files.delete(root.resolve("hello.txt"));
        assertEquals(404, get("GET", "/hello.txt").status(), "deleted, though its resolution is still kept");
        Files.writeString(root.resolve("hello.txt"), "back");
        assertEquals(4, get("GET", "/hello.txt").contentLength(), "back at once: the 404 forgot it");
        Files.delete(root.resolve("site/index.html"));
        assertEquals(200, get("GET", "/site/").status(), "index.html deleted: the listing");
    }

    @Test
    void rangesAndConditionals() throws Exception {
        HttpResponse partial = get("GET", "/hello.txt", "Range", "bytes=6-");
        assertEquals(206, partial.status());
        assertEquals("bytes 6-10/11", partial.header("Content-Range"));
        assertEquals(6, partial.fileRegion().offset());
        assertEquals(5, partial.contentLength());
        HttpResponse unsatisfiable = get("GET", "/hello.txt", "Range", "bytes=11-");
        assertEquals(416, unsatisfiable.status());
        assertEquals("bytes */11", unsatisfiable.header("Content-Range"));
        String etag = get("GET", "/hello.txt").header("ETag");
        assertEquals(304, get("GET", "/hello.txt", "If-None-Match", etag).status());
        assertEquals(304, get("HEAD", "/hello.txt", "If-Modified-Since", HttpDate.format(MODIFIED)).status());
        assertEquals(200, get("GET", "/hello.txt", "If-Modified-Since", HttpDate.format(MODIFIED.minusSeconds(60)))
                .status());
        assertEquals(200, get("GET", "/hello.txt", "Range", "bytes=0-1", "If-Range", "\"old\"").status());
        assertEquals(206, get("GET", "/hello.txt", "Range", "bytes=0-1", "If-Range", etag).status());
    }

    @Test
    void directories() throws Exception {
        HttpResponse redirect = get("GET", "/site");
        assertEquals(301, redirect.status());
        assertEquals("/site/", redirect.header("Location"));
        HttpResponse index = get("GET", "/site/");
        assertEquals(200, index.status());
        assertEquals("text/html; charset=utf-8", index.header("Content-Type"));
        assertEquals(12, index.contentLength());
        Path outside = Files.createTempFile("outside-index", ".html");
        Files.createSymbolicLink(root.resolve("plain/index.html"), outside);
        HttpResponse listing = get("GET", "/plain/"); // the escaping index.html is not served
        assertTrue(new String(listing.bytes(), StandardCharsets.UTF_8).contains("Directory listing for /plain/"));
    }

    @Test
    void methods() throws Exception {
        HttpResponse post = get("POST", "/hello.txt");
        assertEquals(405, post.status());
        assertEquals("GET, HEAD", post.header("Allow"));
        assertEquals(501, get("BREW", "/hello.txt").status());
        assertEquals(404, get("GET", "/nope").status());
    }
}
