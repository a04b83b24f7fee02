package io.ktlshttps.files;

import io.ktlshttps.http.ByteRange;
import io.ktlshttps.http.HttpDate;
import io.ktlshttps.http.HttpException;
import io.ktlshttps.http.HttpRequest;
import io.ktlshttps.http.HttpResponse;
import io.ktlshttps.http.Preconditions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;

/** GET and HEAD of static files under a root: ranges, conditional requests, index.html and listings. */
public final class FileHandler {
    /** Methods RFC 9110 defines that this server knows but does not allow: 405, not 501. */
    private static final Set<String> KNOWN_METHODS = Set.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
            "CONNECT");

    private final PathResolver resolver;
    private final FileCache cache;

    public FileHandler(PathResolver resolver) {
        this(resolver, new FileCache());
    }

    FileHandler(PathResolver resolver, FileCache cache) {
        this.resolver = resolver;
        this.cache = cache;
    }

    /**
     * @param nowNanos {@link System#nanoTime} when the request came: how old the kept
     *        resolution and bytes may be is judged by it
     */
    public HttpResponse handle(HttpRequest request, long nowNanos) throws IOException {
        if (!request.method().equals("GET") && !request.isHead()) {
            return HttpResponse.error(KNOWN_METHODS.contains(request.method()) ? 405 : 501);
        }
        Path path;
        try {
            path = resolver.resolve(request.path(), nowNanos);
        } catch (HttpException e) {
            return HttpResponse.error(e.status());
        }
        FileCache.Entry cached = cache.fresh(path, nowNanos);
        if (cached != null) {
            return file(request, path, cached);
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            resolver.forget(request.path()); // deleted since it was resolved
            cache.forget(path);
            return HttpResponse.error(404);
        }
        if (attributes.isDirectory()) {
            cache.forget(path);
            return directory(request, path, nowNanos);
        }
        return file(request, path, attributes);
    }

    private HttpResponse directory(HttpRequest request, Path directory, long nowNanos) throws IOException {
        if (!request.path().endsWith("/")) {
            // Relative links in the listing need the trailing slash (RFC 9110 section 15.4.2).
            String rawPath = rawPath(request.target());
            String query = request.query() == null ? "" : "?" + request.query();
            return HttpResponse.error(301).header("Location", rawPath + "/" + query);
        }
        Path index;
        try {
            // Through the resolver, so an index.html symlinked outside the root is refused too.
            index = resolver.resolve(request.path() + "index.html", nowNanos);
        } catch (HttpException e) {
            index = null;
        }
        if (index != null) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(index, BasicFileAttributes.class);
                if (attributes.isRegularFile()) {
                    return file(request, index, attributes);
                }
            } catch (NoSuchFileException e) {
                resolver.forget(request.path() + "index.html"); // deleted since: list the directory
            }
        }
        return new HttpResponse(200).header("Content-Type", "text/html; charset=utf-8")
                .body(DirectoryListing.render(directory, request.path()));
    }

    /** The path part of the raw target (origin- or absolute-form). */
    private static String rawPath(String target) {
        String t = target;
        if (!t.startsWith("/")) {
            int slash = t.indexOf('/', t.indexOf("//") + 2);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** A file whose attributes were just read: from the cache if small, else from the file system. */
    private HttpResponse file(HttpRequest request, Path file, BasicFileAttributes attributes) throws IOException {
        if (!attributes.isRegularFile()) {
            cache.forget(file);
            return HttpResponse.error(403);
        }
        FileCache.Entry cached = cache.load(file, attributes);
        return cached != null ? file(request, file, cached)
                : file(request, file, attributes.size(), attributes.lastModifiedTime().toMillis(), null);
    }

    /** A file from its kept bytes. */
    private HttpResponse file(HttpRequest request, Path file, FileCache.Entry cached) {
        return file(request, file, cached.size(), cached.modifiedMillis(), cached.bytes());
    }

    /** The response for a regular file: its body from {@code bytes} (the whole file) or, if null, from disk. */
    private HttpResponse file(HttpRequest request, Path file, long size, long modifiedMillis, byte[] bytes) {
        Instant modified = Instant.ofEpochMilli(modifiedMillis).truncatedTo(ChronoUnit.SECONDS);
        String etag = etag(size, modifiedMillis);
        if (Preconditions.notModified(request, etag, modified)) {
            return validators(new HttpResponse(304), etag, modified);
        }
        HttpResponse response;
        ByteRange.Outcome range = Preconditions.rangeApplies(request, etag, modified)
                ? ByteRange.evaluate(request.header("Range"), size) : new ByteRange.Ignored();
        if (range instanceof ByteRange.Satisfiable) {
            ByteRange r = ((ByteRange.Satisfiable) range).range();
            response = new HttpResponse(206).header("Content-Range", r.contentRange(size));
            body(response, file, bytes, r.first(), r.length());
        } else if (range instanceof ByteRange.Unsatisfiable) {
            return HttpResponse.error(416).header("Content-Range", "bytes */" + size);
        } else {
            response = new HttpResponse(200);
            body(response, file, bytes, 0, size);
        }
        response.header("Content-Type", MimeTypes.of(file.getFileName().toString()));
        response.header("Accept-Ranges", "bytes");
        return validators(response, etag, modified);
    }

    private static void body(HttpResponse response, Path file, byte[] bytes, long offset, long length) {
        if (bytes != null) {
            response.sharedBody(bytes, (int) offset, (int) length);
        } else {
            response.body(new HttpResponse.FileRegion(file, offset, length));
        }
    }

    private static HttpResponse validators(HttpResponse response, String etag, Instant modified) {
        return response.header("ETag", etag).header("Last-Modified", HttpDate.format(modified));
    }

    /** A strong validator from size and modification time in milliseconds. */
    static String etag(long size, long modifiedMillis) {
        return "\"" + Long.toHexString(size) + "-" + Long.toHexString(modifiedMillis) + "\"";
    }
}
