package io.ktlshttps.files;

import io.ktlshttps.http.HttpException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a decoded request path to a file under the root, and refuses everything else:
 * NUL and backslashes (400), ".." above the root (400), dotfiles (404, as if absent, in
 * the request path or in the path a symlink resolves to), and symlinks whose target lies
 * outside the root (403). Like the JDK's FileServerHandler it
 * walks the path one segment at a time, then checks the real path is still under the root.
 *
 * <p>A successful resolution is reused for up to {@link #REUSE_NANOS} (one second): the
 * real path costs a readlink(2) per path component and an access(2), more system calls
 * than the rest of a small request. Only which file a request path names is kept here; a
 * small file's bytes are kept by {@link FileCache}, for a second too. So a file deleted,
 * made unreadable, or moved behind a symlink (out of the root, or to a dotfile) is noticed
 * at most a second late. Refusals are not kept: a file that appears is served at once.
 */
public final class PathResolver {
    /** How long a resolution is reused. */
    public static final long REUSE_NANOS = 1_000_000_000L;
    /** Bounds the memory a scan of many paths can take: the map is emptied when it reaches this. */
    private static final int MAX_KEPT = 4096;

    private final Path root;
    private final Map<String, Resolved> kept = new ConcurrentHashMap<>();

    private record Resolved(Path real, long at) {
    }

    /**
     * @throws NoSuchFileException, {@link NotDirectoryException} or
     *         {@link AccessDeniedException} (a directory this process cannot list or search) for
     *         a root it cannot serve
     */
    public PathResolver(Path root) throws IOException {
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) {
            throw new NotDirectoryException(root.toString());
        }
        if (!Files.isReadable(this.root) || !Files.isExecutable(this.root)) {
            throw new AccessDeniedException(root.toString(), null, "the server must read and search it");
        }
    }

    public Path root() {
        return root;
    }

    /**
     * The existing file or directory for the path, as a real path under the root; now is
     * the request's moment from {@link System#nanoTime}, by which a kept resolution's age
     * is judged.
     */
    public Path resolve(String decodedPath, long now) throws HttpException {
        Resolved r = kept.get(decodedPath);
        if (r != null && now - r.at() < REUSE_NANOS) {
            return r.real();
        }
        Path real = resolveNow(decodedPath);
        if (kept.size() >= MAX_KEPT) {
            kept.clear();
        }
        kept.put(decodedPath, new Resolved(real, now));
        return real;
    }

    /** Forgets the path's resolution: what it named is gone. */
    public void forget(String decodedPath) {
        kept.remove(decodedPath);
    }

    private Path resolveNow(String decodedPath) throws HttpException {
        if (!decodedPath.startsWith("/")) {
            throw new HttpException(400, "path must start with /");
        }
        if (decodedPath.indexOf('\0') >= 0 || decodedPath.indexOf('\\') >= 0) {
            throw new HttpException(400, "NUL or backslash in path");
        }
        Deque<String> segments = new ArrayDeque<>();
        for (String segment : decodedPath.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (segments.isEmpty()) {
                    throw new HttpException(400, "path climbs above the root");
                }
                segments.removeLast();
                continue;
            }
            if (segment.startsWith(".")) {
                throw new HttpException(404, "dotfiles are not served");
            }
            segments.addLast(segment);
        }
        Path candidate = root;
        for (String segment : segments) {
            candidate = candidate.resolve(segment);
            if (!candidate.getFileName().toString().equals(segment)) {
                throw new HttpException(400, "invalid path segment");
            }
        }
        return confine(candidate);
    }

    private Path confine(Path candidate) throws HttpException {
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            throw new HttpException(404, "no such file, or a dangling symlink");
        } catch (IOException e) {
            throw new HttpException(403, "cannot resolve path");
        }
        if (!real.startsWith(root)) {
            throw new HttpException(403, "symlink leads outside the root");
        }
        // A symlink with an ordinary name may lead to a dotfile or into a dot-directory
        // (.git, .env): what is served is the target, so its path is checked too.
        for (Path part : root.relativize(real)) {
            if (part.toString().startsWith(".")) {
                throw new HttpException(404, "dotfiles are not served");
            }
        }
        if (!Files.isReadable(real)) {
            throw new HttpException(403, "not readable");
        }
        return real;
    }
}
