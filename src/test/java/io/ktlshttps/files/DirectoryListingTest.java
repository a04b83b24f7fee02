package io.ktlshttps.files;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryListingTest {
    @TempDir
    Path dir;

    @Test
    void namesAreEscapedSortedAndEncoded() throws Exception {
        Files.writeString(dir.resolve("<img src=x onerror=alert(1)>.txt"), "x");
        Files.writeString(dir.resolve("b\"q'&.txt"), "x");
        Files.writeString(dir.resolve("A space.txt"), "x");
        Files.createDirectories(dir.resolve("zdir"));
        Files.writeString(dir.resolve(".hidden"), "x");
        String html = new String(DirectoryListing.render(dir, "/<x>/"), StandardCharsets.UTF_8);
        assertFalse(html.contains("<img"), html);
        assertTrue(html.contains(">&lt;img src=x onerror=alert(1)&gt;.txt</a>"), html);
        assertTrue(html.contains("href=\"%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt\""), html);
        assertTrue(html.contains(">b&quot;q&#x27;&amp;.txt<"), html);
        assertTrue(html.contains("href=\"A%20space.txt\""), html);
        assertTrue(html.contains("href=\"zdir/\">zdir/</a>"), html);
        assertTrue(html.contains("Directory listing for /&lt;x&gt;/"), html);
        assertFalse(html.contains(".hidden"), html);
        assertTrue(html.indexOf("A space") < html.indexOf("b&quot;") && html.indexOf("b&quot;") < html.indexOf("zdir"),
                "sorted: " + html);
    }
}
