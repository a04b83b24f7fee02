package io.ktlshttps.testing;

import io.ktlshttps.net.KernelTls;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/** The three TLS client implementations the kernel tests talk to. */
public enum ClientKind {
    BOUNCY_CASTLE, JDK, OPENSSL;

    public boolean supports(TestSuites suite) {
        return this != JDK || suite.jdkName != null;
    }

    /** Every (suite, client) pair where the running kernel accepts the suite's version and cipher. */
    public static List<Arguments> kernelCases(ClientKind... kinds) {
        List<Arguments> cases = new ArrayList<>();
        for (TestSuites suite : TestSuites.values()) {
            if (!KernelTls.supports(suite.version, suite.cipher)) {
                continue;
            }
            for (ClientKind kind : kinds) {
                if (kind.supports(suite)) {
                    cases.add(Arguments.of(suite, kind));
                }
            }
        }
        return cases;
    }

    public static List<Arguments> kernelCases() {
        return kernelCases(values());
    }
}
