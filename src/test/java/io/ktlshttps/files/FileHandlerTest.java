package io.ktlshttps.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
    FileCache cache;
    /** The clock of the resolver's and the cache's reuse, in nanoseconds: tests move it on. */
    long nanos;
    static final Instant MODIFIED = Instant.parse("2026-03-04T05:06:07Z");

    @BeforeEach
    void files() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello world");
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(MODIFIED));
        Files.createDirectories(root.resolve("site"));
        Files.writeString(root.resolve("site/index.html"), "<p>index</p>");
        Files.createDirectories(root.resolve("plain"));
        cache = new FileCache(() -> nanos, System::currentTimeMillis);
        handler = new FileHandler(new PathResolver(root), cache);
    }

    /** Past the reuse time of the resolver and of the cache: the next request looks at the file again. */
    private void aSecondLater() {
        nanos += FileCache.REVALIDATE_NANOS;
    }

    /** Writes a file whose modification time lies in the past, so that the cache may keep it. */
    private void writeSettled(String name, String text, Instant modified) throws Exception {
        Files.writeString(root.resolve(name), text);
        Files.setLastModifiedTime(root.resolve(name), FileTime.from(modified));
    }

    private static String body(HttpResponse r) {
        return new String(r.bytes(), StandardCharsets.UTF_8);
    }

    private HttpResponse get(String method, String path, String... headers) throws Exception {
        List<HttpRequest.Header> list = new ArrayList<>();
        for (int i = 0; i < headers.length; i += 2) {
            list.add(new HttpRequest.Header(headers[i], headers[i + 1]));
        }
        return handler.handle(new HttpRequest(method, path, path, null, "HTTP/1.1", list), nanos);
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
        assertEquals("hello world", body(r), "a small file settled for long: from memory");
        assertNull(r.fileRegion());
    }

    /**
     * A small file is kept in memory and used for up to a second without looking at it
     * (FileCache.REVALIDATE_NANOS): a change, a replacement by rename, a deletion is served
     * within that second at the latest, never later.
     */
    @Test
    void aChangedFileIsServedNewWithinASecondAndADeletedOneIsA404() throws Exception {
        String etag = get("GET", "/hello.txt").header("ETag");
        writeSettled("hello.txt", "hello, changed world", MODIFIED.plusSeconds(60));
        assertEquals("hello world", body(get("GET", "/hello.txt")), "within the second: as kept");
        aSecondLater();
        HttpResponse changed = get("GET", "/hello.txt");
        assertEquals("hello, changed world", body(changed), "a second later: the new bytes");
        assertNotEquals(etag, changed.header("ETag"), "a new validator");

        writeSettled("hello.txt", "HELLO, CHANGED WORLD", MODIFIED.plusSeconds(120));
        aSecondLater();
        assertEquals("HELLO, CHANGED WORLD", body(get("GET", "/hello.txt")), "the same size, a new time: new");

        writeSettled("replacement.tmp", "HELLO, REPLACED WORLD", MODIFIED.plusSeconds(120));
        Files.move(root.resolve("replacement.tmp"), root.resolve("hello.txt"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        aSecondLater();
        assertEquals("HELLO, REPLACED WORLD", body(get("GET", "/hello.txt")), "replaced by rename");

        Files.delete(root.resolve("hello.txt"));
        aSecondLater();
        assertEquals(404, get("GET", "/hello.txt").status(), "deleted");
        writeSettled("hello.txt", "back", MODIFIED);
        assertEquals(4, get("GET", "/hello.txt").contentLength(), "back at once: the 404 forgot it");
        Files.delete(root.resolve("site/index.html"));
        aSecondLater();
        assertEquals(200, get("GET", "/site/").status(), "index.html deleted: the listing");
    }

    /**
     * A file in the same size and modification time tick as it was can still have changed
     * (a file system keeps times in coarse ticks): one modified in the last
     * FileCache.SETTLED_MILLIS is read from disk every time, never kept.
     */
    @Test
    void aFileModifiedJustNowIsNotKept() throws Exception {
        Files.writeString(root.resolve("young.txt"), "version 1");
        HttpResponse first = get("GET", "/young.txt");
        assertNotNull(first.fileRegion(), "served from the file");
        assertEquals(0, cache.totalBytes());
        Files.writeString(root.resolve("young.txt"), "version 2");
        HttpResponse second = get("GET", "/young.txt");
        assertNotNull(second.fileRegion(), "from the file again, with no wait");
        assertEquals(9, second.contentLength());
    }

    @Test
    void largeFilesGoBySendfileAndAreNotKept() throws Exception {
        byte[] big = new byte[FileCache.MAX_FILE_BYTES + 1];
        Files.write(root.resolve("big.bin"), big);
        Files.setLastModifiedTime(root.resolve("big.bin"), FileTime.from(MODIFIED));
        HttpResponse r = get("GET", "/big.bin");
        assertNotNull(r.fileRegion());
        assertEquals(big.length, r.contentLength());
        assertEquals(0, cache.totalBytes());
    }

    @Test
    void rangesAndConditionals() throws Exception {
        HttpResponse partial = get("GET", "/hello.txt", "Range", "bytes=6-");
        assertEquals(206, partial.status());
        assertEquals("bytes 6-10/11", partial.header("Content-Range"));
        assertEquals("world", body(partial), "the range of the kept bytes");
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
