package io.ktlshttps.files;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An HTML index of a directory, in the shape of Python's http.server listing (the
 * original's): names sorted, directories with a trailing slash, dotfiles hidden, every
 * name HTML-escaped and every link percent-encoded.
 */
public final class DirectoryListing {
    private DirectoryListing() {
    }

    public static byte[] render(Path directory, String requestPath) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.forEach(p -> {
                String name = p.getFileName().toString();
                if (!name.startsWith(".")) {
                    names.add(Files.isDirectory(p) ? name + "/" : name);
                }
            });
        }
        names.sort(String.CASE_INSENSITIVE_ORDER);
        String title = "Directory listing for " + escape(requestPath);
        StringBuilder html = new StringBuilder(256 + names.size() * 64);
        html.append("<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(title).append("</title>\n</head>\n<body>\n<h1>").append(title).append("</h1>\n<hr>\n<ul>\n");
        for (String name : names) {
            html.append("<li><a href=\"").append(escape(encode(name))).append("\">").append(escape(name))
                    .append("</a></li>\n");
        }
        html.append("</ul>\n<hr>\n</body>\n</html>\n");
        return html.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Percent-encodes a name for a relative link, keeping a directory's trailing slash. */
    static String encode(String name) {
        boolean directory = name.endsWith("/");
        String bare = directory ? name.substring(0, name.length() - 1) : name;
        String encoded = URLEncoder.encode(bare, StandardCharsets.UTF_8).replace("+", "%20");
        return directory ? encoded + "/" : encoded;
    }

    /** HTML-escapes text for element content and double-quoted attributes. */
    public static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&': b.append("&amp;"); break;
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '"': b.append("&quot;"); break;
                case '\'': b.append("&#x27;"); break;
                default: b.append(c);
            }
        }
        return b.toString();
    }
}
