package io.ktlshttps.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCacheTest {
    @TempDir
    Path root;
    long nanos;

    private Path settled(String name, int size) throws Exception {
        Path p = root.resolve(name);
        Files.write(p, new byte[size]);
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        return p;
    }

    private static BasicFileAttributes stat(Path p) throws Exception {
        return Files.readAttributes(p, BasicFileAttributes.class);
    }

    @Test
    void anUnchangedFileIsCheckedWithoutReadingItAgain() throws Exception {
        FileCache cache = new FileCache(() -> nanos, System::currentTimeMillis);
        Path a = settled("a.bin", 100);
        FileCache.Entry first = cache.load(a, stat(a));
        assertNotNull(first);
        assertSame(first, cache.fresh(a));
        nanos += FileCache.REVALIDATE_NANOS;
        assertNull(cache.fresh(a), "a second later it must be looked at");
        FileCache.Entry again = cache.load(a, stat(a));
        assertSame(first.bytes(), again.bytes(), "unchanged: the same bytes, not read again");
        assertSame(again, cache.fresh(a));
    }

    @Test
    void theTotalIsBoundedByEmptyingTheCache() throws Exception {
        FileCache cache = new FileCache(() -> nanos, System::currentTimeMillis, 250);
        Path a = settled("a.bin", 100);
        Path b = settled("b.bin", 100);
        Path c = settled("c.bin", 100);
        cache.load(a, stat(a));
        cache.load(b, stat(b));
        assertEquals(200, cache.totalBytes());
        cache.load(c, stat(c));
        assertEquals(100, cache.totalBytes(), "emptied, then c kept");
        assertNull(cache.fresh(a));
        assertNotNull(cache.fresh(c));
    }

    @Test
    void entriesNobodyAskedForInAMinuteAreDropped() throws Exception {
        FileCache cache = new FileCache(() -> nanos, System::currentTimeMillis);
        Path a = settled("a.bin", 100);
        Path b = settled("b.bin", 10);
        cache.load(a, stat(a));
        Files.delete(a); // never asked for again under its name
        nanos += FileCache.INACTIVE_NANOS;
        cache.load(b, stat(b));
        assertEquals(10, cache.totalBytes(), "a's bytes dropped when b was read in");
    }

    @Test
    void aFileThatChangedSizeSinceItsStatIsNotKept() throws Exception {
        FileCache cache = new FileCache(() -> nanos, System::currentTimeMillis);
        Path a = settled("a.bin", 100);
        BasicFileAttributes before = stat(a);
        Files.write(a, new byte[120]); // written between the stat and the read
        Files.setLastModifiedTime(a, before.lastModifiedTime());
        assertNull(cache.load(a, before));
        assertEquals(0, cache.totalBytes());
    }
}
