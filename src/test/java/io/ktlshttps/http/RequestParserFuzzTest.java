package io.ktlshttps.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing the request parser with jqwik: random bytes, and valid requests with random
 * mutations. Whatever arrives, the parser either asks for more bytes, returns a request
 * that fits in what it was given, or throws its own HttpException with a 4xx/5xx status;
 * never anything else. Bounded (junit-platform.properties), seeded, so CI is repeatable.
 */
class RequestParserFuzzTest {
    private static final RequestParser PARSER = new RequestParser(new RequestLimits(512, 2048, 20));

    private static void parsesOrRefusesCleanly(byte[] input) {
        try {
            RequestParser.Parsed parsed = PARSER.parse(input, input.length);
            if (parsed != null) {
                assertTrue(parsed.consumed() > 0 && parsed.consumed() <= input.length);
                assertTrue(parsed.request().path().startsWith("/"));
                assertTrue(parsed.bodyLength() >= 0);
            }
        } catch (HttpException e) {
            assertTrue(e.status() >= 400 && e.status() < 600, "status " + e.status());
        }
    }

    @Property(seed = "424242")
    void randomBytes(@ForAll byte[] input) {
        parsesOrRefusesCleanly(input);
    }

    @Provide
    Arbitrary<byte[]> mutatedRequests() {
        Arbitrary<String> methods = Arbitraries.of("GET", "HEAD", "POST", "G\u0000T", "get", "");
        Arbitrary<String> targets = Arbitraries.of("/", "/a/../b", "/%2e%2e/x", "/%zz", "*", "http://h/p?q",
                "/" + "a".repeat(600), "/\u00e9", "/a b");
        Arbitrary<String> versions = Arbitraries.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 ", "");
        Arbitrary<String> headers = Arbitraries.of("Host: h\r\n", "Host: h\r\nHost: i\r\n", "Content-Length: 5\r\n",
                "Content-Length: x\r\n", "Transfer-Encoding: chunked\r\n", " folded\r\n", "X: " + "v".repeat(3000)
                + "\r\n", "NoColon\r\n", "").list().ofMaxSize(25).map(l -> String.join("", l));
        Arbitrary<byte[]> requests = Combinators.combine(methods, targets, versions, headers).as((m, t, v, h) ->
                (m + " " + t + " " + v + "\r\n" + h + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        // Then either cut the request short somewhere, or overwrite one byte with anything.
        return Combinators.combine(requests, Arbitraries.integers().between(0, 100_000),
                Arbitraries.integers().between(0, 255), Arbitraries.of(true, false)).as((bytes, at, value, cut) -> {
                    int i = at % bytes.length;
                    if (cut) {
                        return Arrays.copyOf(bytes, i);
                    }
                    byte[] mutated = bytes.clone();
                    mutated[i] = (byte) (int) value;
                    return mutated;
                });
    }

    @Property(seed = "4242")
    void mutatedRequests(@ForAll("mutatedRequests") byte[] input) {
        parsesOrRefusesCleanly(input);
    }
}
