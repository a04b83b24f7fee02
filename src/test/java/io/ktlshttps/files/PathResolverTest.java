package io.ktlshttps.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ktlshttps.http.HttpException;
import io.ktlshttps.http.RequestLimits;
import io.ktlshttps.http.RequestParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Raw request targets through the parser and the resolver, as they arrive on the wire. */
class PathResolverTest {
    @TempDir
    Path base;
    Path root;
    PathResolver resolver;

    @BeforeEach
    void tree() throws Exception {
        root = Files.createDirectories(base.resolve("www"));
        Files.writeString(root.resolve("a.txt"), "a");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/b.txt"), "b");
        Files.writeString(root.resolve(".secret"), "s");
        Files.writeString(base.resolve("outside.txt"), "o");
        Files.createSymbolicLink(root.resolve("escape"), base.resolve("outside.txt"));
        Files.createSymbolicLink(root.resolve("escape-dir"), base);
        Files.createSymbolicLink(root.resolve("inside"), root.resolve("sub/b.txt"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), "c");
        Files.createSymbolicLink(root.resolve("to-dotfile"), root.resolve(".secret"));
        Files.createSymbolicLink(root.resolve("to-dotdir-file"), root.resolve(".git/config"));
        Files.createSymbolicLink(root.resolve("to-dotdir"), root.resolve(".git"));
        resolver = new PathResolver(root);
    }

    private Path resolveTarget(String target) throws HttpException {
        byte[] request = ("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        String path = new RequestParser(RequestLimits.DEFAULT).parse(request, request.length).request().path();
        return resolver.resolve(path, System.nanoTime());
    }

    private int refusal(String target) {
        return assertThrows(HttpException.class, () -> resolveTarget(target)).status();
    }

    /** A resolution is reused for a second, and no longer: a file moved behind a symlink out of the root. */
    @Test
    void aResolutionIsReusedForASecondAtMost() throws Exception {
        long[] now = {0};
        PathResolver timed = new PathResolver(root);
        Path real = timed.resolve("/a.txt", now[0]);
        Files.delete(root.resolve("a.txt"));
        Files.createSymbolicLink(root.resolve("a.txt"), base.resolve("outside.txt"));
        now[0] = PathResolver.REUSE_NANOS - 1;
        assertEquals(real, timed.resolve("/a.txt", now[0]), "within the second: the kept resolution");
        now[0] = PathResolver.REUSE_NANOS;
        assertEquals(403, assertThrows(HttpException.class, () -> timed.resolve("/a.txt", now[0])).status(),
                "a second later: resolved afresh, and refused");
    }

    @Test
    void refusalsAreNotKept() throws Exception {
        long[] now = {0};
        PathResolver timed = new PathResolver(root);
        assertEquals(404, assertThrows(HttpException.class, () -> timed.resolve("/new.txt", now[0])).status());
        Files.writeString(root.resolve("new.txt"), "n");
        assertEquals(root.toRealPath().resolve("new.txt"), timed.resolve("/new.txt", now[0]),
                "served as soon as it exists");
        timed.forget("/new.txt");
        Files.delete(root.resolve("new.txt"));
        assertEquals(404, assertThrows(HttpException.class, () -> timed.resolve("/new.txt", now[0])).status(),
                "forgotten");
    }

    @Test
    void servesFilesUnderTheRoot() throws Exception {
        assertEquals(root.toRealPath().resolve("a.txt"), resolveTarget("/a.txt"));
        assertEquals(root.toRealPath().resolve("sub/b.txt"), resolveTarget("/sub/./b.txt"));
        assertEquals(root.toRealPath().resolve("sub/b.txt"), resolveTarget("/sub/../sub/b.txt"));
        assertEquals(root.toRealPath().resolve("sub/b.txt"), resolveTarget("/inside"));
        assertEquals(root.toRealPath(), resolveTarget("/"));
    }

    @ParameterizedTest
    @CsvSource({
        "/../outside.txt, 400",
        "/%2e%2e/outside.txt, 400",
        "/%2E%2E%2Foutside.txt, 400",
        "/sub/../../outside.txt, 400",
        "/sub/%2e%2e/%2e%2e/outside.txt, 400",
        "/..%2f..%2foutside.txt, 400",
        "/..%5coutside.txt, 400",
        "/a.txt%00.html, 400",
        "/.secret, 404",
        "/%2esecret, 404",
        "/sub/../.secret, 404",
        "/to-dotfile, 404",
        "/to-dotdir-file, 404",
        "/to-dotdir, 404",
        "/to-dotdir/config, 404",
        "/escape, 403",
        "/escape-dir/outside.txt, 403",
        "/missing, 404"
    })
    void refusesEscapesAndHiddenFiles(String target, int status) {
        assertEquals(status, refusal(target), target);
    }
}
