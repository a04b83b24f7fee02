package io.ktlshttps.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Small files in memory, with what their responses need (size, dates, validators), so
 * that a request for one costs no system call beyond receiving it and sending the answer:
 * no open, stat, read or close. Like nginx's open_file_cache, with the file's bytes too.
 *
 * <p><b>How stale it can be.</b> An entry is used without looking at the file for at most
 * {@link #REVALIDATE_NANOS} (one second) after it was last checked; then the next request
 * stats the file, and a different size, modification time or inode (a file replaced by
 * rename) loads it afresh. So a changed or deleted file is served old for at most one
 * second after the change. Two things keep that bound honest: the bytes are kept only if
 * the file's size and modification time are the same after reading it as before (not
 * changed during the read), and only once the file has been unmodified for
 * {@link #SETTLED_MILLIS}: a file system keeps modification times in coarse ticks (ext4:
 * the kernel's jiffy), so a second write in the tick of the first could leave size and time
 * as they were; such a young file is served from disk, and cached on a later request.
 *
 * <p><b>Bounds.</b> Files up to {@link #MAX_FILE_BYTES}; all entries together up to
 * {@link #MAX_TOTAL_BYTES}, past which the cache is emptied and fills again with what is
 * asked for (simple, and what a scan of many files deserves). Entries nobody asked for in a
 * minute are dropped when the next file is read in.
 */
final class FileCache {
    /** How long an entry is used without looking at the file. */
    static final long REVALIDATE_NANOS = 1_000_000_000L;
    /** Files modified less than this long ago are not kept (see the class comment). */
    static final long SETTLED_MILLIS = 2_000;
    /** The largest file kept. Larger ones go by sendfile, where the copy would cost more than it saves. */
    static final int MAX_FILE_BYTES = 64 * 1024;
    /** An entry not asked for in this long (a minute, as nginx's open_file_cache inactive=60s) is dropped. */
    static final long INACTIVE_NANOS = 60_000_000_000L;
    /** All kept bytes together. */
    static final long MAX_TOTAL_BYTES = 32L * 1024 * 1024;

    /**
     * A kept file: its bytes (never changed once made) and its attributes as they were
     * when the bytes were read.
     */
    record Entry(byte[] bytes, long modifiedMillis, Object fileKey, long checkedAt) {
        long size() {
            return bytes.length;
        }

        Entry checked(long at) {
            return new Entry(bytes, modifiedMillis, fileKey, at);
        }

        boolean sameFile(BasicFileAttributes a) {
            return a.size() == bytes.length && a.lastModifiedTime().toMillis() == modifiedMillis
                    && Objects.equals(a.fileKey(), fileKey);
        }
    }

    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep;
    private final AtomicLong totalBytes = new AtomicLong();
    private final LongSupplier nanoClock;
    private final LongSupplier millisClock;
    private final long maxTotalBytes;

    FileCache() {
        this(System::nanoTime, System::currentTimeMillis);
    }

    /** With clocks for tests: nanoseconds as {@link System#nanoTime}, wall-clock milliseconds. */
    FileCache(LongSupplier nanoClock, LongSupplier millisClock) {
        this(nanoClock, millisClock, MAX_TOTAL_BYTES);
    }

    FileCache(LongSupplier nanoClock, LongSupplier millisClock, long maxTotalBytes) {
        this.nanoClock = nanoClock;
        this.millisClock = millisClock;
        this.maxTotalBytes = maxTotalBytes;
        this.lastSweep = new AtomicLong(nanoClock.getAsLong());
    }

    /** The entry for a file if it was checked within the last second; null otherwise. No system call. */
    Entry fresh(Path file) {
        return fresh(file, nanoClock.getAsLong());
    }

    /** As {@link #fresh(Path)}, at a moment the caller read from the same clock (System.nanoTime). */
    Entry fresh(Path file, long now) {
        Entry e = entries.get(file);
        return e != null && now - e.checkedAt() < REVALIDATE_NANOS ? e : null;
    }

    /**
     * The entry for a regular file whose attributes were just read: the kept one if the file
     * is unchanged, else its bytes read now. Null if it is not to be kept (too large, too
     * young, changed while read, or gone): serve it from the file system then.
     */
    Entry load(Path file, BasicFileAttributes attributes) throws IOException {
        long now = nanoClock.getAsLong();
        Entry kept = entries.get(file);
        if (kept != null && kept.sameFile(attributes)) {
            Entry refreshed = kept.checked(now);
            entries.replace(file, kept, refreshed);
            return refreshed;
        }
        if (kept != null) {
            forget(file);
        }
        if (!attributes.isRegularFile() || attributes.size() > MAX_FILE_BYTES
                || millisClock.getAsLong() - attributes.lastModifiedTime().toMillis() < SETTLED_MILLIS) {
            return null;
        }
        byte[] bytes;
        BasicFileAttributes after;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            bytes = new byte[(int) attributes.size()];
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // until full, or the file ended early (it shrank: the check below refuses it)
            }
            if (buffer.hasRemaining() || channel.read(ByteBuffer.allocate(1)) >= 0) {
                return null; // shorter or longer than its size said: changing under us
            }
            after = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
        Entry entry = new Entry(bytes, attributes.lastModifiedTime().toMillis(), attributes.fileKey(), now);
        if (!entry.sameFile(after)) {
            return null;
        }
        sweepIfDue(now);
        if (totalBytes.addAndGet(bytes.length) > maxTotalBytes) {
            clear(); // this entry's bytes stay counted: it goes in next
        }
        Entry previous = entries.put(file, entry);
        if (previous != null) {
            totalBytes.addAndGet(-previous.size());
        }
        return entry;
    }

    /** Drops a file's entry: it is gone, or not a small regular file any more. */
    void forget(Path file) {
        Entry previous = entries.remove(file);
        if (previous != null) {
            totalBytes.addAndGet(-previous.size());
        }
    }

    /**
     * Drops the entries nobody asked for in {@link #INACTIVE_NANOS}, at most once in that
     * time: a file deleted or renamed away is never asked for again under its name.
     */
    private void sweepIfDue(long now) {
        long last = lastSweep.get();
        if (now - last < INACTIVE_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        entries.forEach((path, entry) -> {
            if (now - entry.checkedAt() >= INACTIVE_NANOS) {
                forget(path);
            }
        });
    }

    private void clear() {
        for (Path p : entries.keySet()) {
            forget(p);
        }
    }

    /** Kept bytes in all, for tests. */
    long totalBytes() {
        return totalBytes.get();
    }
}
