package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of docs/DESIGN.md, checked on the sources: which package may name which. A
 * reference counts whether imported or fully qualified.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/io/ktlshttps");
    /** jnr, BouncyCastle, ACCP (com.amazon), a layer, or a class of the root package (io.ktlshttps.Main, say). */
    private static final Pattern REFERENCE = Pattern.compile(
            "\\b(jnr|org\\.bouncycastle|com\\.amazon|io\\.ktlshttps\\.(linux|net|tls|http|files|server)|io\\.ktlshttps)"
                    + "\\.([A-Za-z_]+)");

    /**
     * For each layer, the outside names it may use. The root package holds Main only and
     * may use every layer, but not jnr or BouncyCastle.
     */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "linux", List.of("jnr", "io.ktlshttps.linux"),
            "net", List.of("io.ktlshttps.linux", "io.ktlshttps.net"),
            "tls", List.of("org.bouncycastle", "com.amazon", "io.ktlshttps.linux", "io.ktlshttps.net", "io.ktlshttps.tls"),
            "http", List.of("io.ktlshttps.http"),
            "files", List.of("io.ktlshttps.http", "io.ktlshttps.files"),
            "server", List.of("io.ktlshttps.net", "io.ktlshttps.tls", "io.ktlshttps.http", "io.ktlshttps.files",
                    "io.ktlshttps.server"),
            "", List.of("io.ktlshttps.linux", "io.ktlshttps.net", "io.ktlshttps.tls", "io.ktlshttps.http",
                    "io.ktlshttps.files", "io.ktlshttps.server"));

    @Test
    void everyLayerNamesOnlyWhatItMay() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(MAIN)) {
            for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                files++;
                Path relative = MAIN.relativize(source.getParent() == null ? MAIN : source.getParent());
                String layer = relative.toString().replace('/', '.');
                List<String> allowed = ALLOWED.get(layer);
                if (allowed == null) {
                    violations.add(source + ": package io.ktlshttps." + layer + " is not a layer of docs/DESIGN.md");
                    continue;
                }
                Matcher m = REFERENCE.matcher(Files.readString(source));
                while (m.find()) {
                    String named = m.group(1);
                    if (named.equals("io.ktlshttps") && !Character.isUpperCase(m.group(3).charAt(0))) {
                        continue; // a subpackage outside the layers: reported as a layer of its own
                    }
                    if (!allowed.contains(named) && !(named.equals("io.ktlshttps") && layer.isEmpty())) {
                        violations.add(source + " names " + named + (named.equals("io.ktlshttps")
                                ? "." + m.group(3) + ": a lower layer must not depend on the root package" : ""));
                    }
                }
            }
        }
        assertFalse(files == 0, "no sources found under " + MAIN);
        try (Stream<Path> root = Files.list(MAIN)) {
            List<String> rootClasses = root.filter(p -> p.toString().endsWith(".java"))
                    .map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("Main.java"), rootClasses, "the root package holds Main only (docs/DESIGN.md)");
        }
        assertEquals(List.of(), violations);
    }

    /** JDK internals (sun.*): only server.Signals names them (pom.xml silences javac's warning about them). */
    @Test
    void onlySignalsNamesJdkInternals() throws IOException {
        Pattern internal = Pattern.compile("(?<![\\w.])sun\\.[a-z]+\\.[A-Za-z]");
        Path signals = MAIN.resolve("server/Signals.java");
        List<String> violations = new ArrayList<>();
        for (Path tree : List.of(Path.of("src/main/java"), Path.of("src/test/java"), Path.of("bench/java"))) {
            if (!Files.isDirectory(tree)) {
                continue;
            }
            try (Stream<Path> sources = Files.walk(tree)) {
                for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    if (!source.equals(signals) && internal.matcher(Files.readString(source)).find()) {
                        violations.add(source.toString());
                    }
                }
            }
        }
        assertEquals(List.of(), violations, "sun.* is for server.Signals alone");
    }
}
