package io.ktlshttps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/test-summary.sh on JUnit reports made up here: a full run passes, and each way a
 * harness can run less than it should fails it. The QEMU run's expectations are the
 * QEMU_TESTS of scripts/kernel-tests.sh, read through its --report-dirs, as `make test`
 * and kernel-tests.sh pass them.
 */
class TestSummaryScriptTest {
    private static final List<String> HOST = List.of("UserSpaceEndToEndTest", "RealClientsTest", "ResumptionTest",
            "HostileClientsTest", "LayeringTest", "KeyExportTest", "SessionCacheTest", "HttpExchangeTest",
            "FdOwnershipTest", "FailFastTest", "StartupErrorsTest", "StalledHandshakesTest", "SlowClientsTest",
            "OperationsProcessTest", "SystemdUnitTest");
    private static final List<String> KERNEL = List.of("KernelDataPathKernelTest", "KernelReceivePathKernelTest",
            "KernelEndToEndKernelTest", "KernelRealClientsKernelTest", "KernelRequiredRealClientsKernelTest",
            "KernelRecordLimitKernelTest", "KernelKeyUpdateKernelTest", "KernelHostileRecordsKernelTest",
            "SoakKernelTest", "FdOwnershipKernelTest", "KernelRequiredCiphersKernelTest", "SlowClientsKernelTest");

    @TempDir
    Path target;
    Path host;
    Path kernel;
    Path qemu;

    /** A full run on a machine without kernel TLS: host, UML, QEMU, each above its floor. */
    @BeforeEach
    void aFullRun() throws IOException {
        host = target.resolve("surefire-reports");
        kernel = target.resolve("surefire-reports-kernel");
        qemu = target.resolve("surefire-reports-qemu");
        for (String c : HOST) {
            report(host, c, "aCase", 16, false);
        }
        for (String c : KERNEL) {
            report(kernel, c, "aCase", 20, false);
        }
        for (String c : List.of("KernelKeyUpdateKernelTest", "KernelHostileRecordsKernelTest",
                "KernelRecordLimitKernelTest")) {
            report(qemu, c, "aCase(TestSuites)", 10, false);
        }
        realClients(true, true);
        report(qemu, "KernelRequiredRealClientsKernelTest", "maxFragmentLengthIsAgreedOnlyWhereTheKernelCanCapRecords",
                1, false);
        report(qemu, "KernelDataPathKernelTest", "probeAcceptsWhatThisKernelVersionOffers", 1, false);
    }

    private void realClients(boolean openssl, boolean gnutls) throws IOException {
        List<String> cases = new ArrayList<>();
        for (int i = 1; i <= 8 && openssl; i++) {
            cases.add("opensslMaxFragmentLength(String, int)[" + i + "]");
        }
        for (int i = 1; i <= 6 && gnutls; i++) {
            cases.add("gnutlsRecordSize(String, int)[" + i + "]");
        }
        write(qemu, "KernelRealClientsKernelTest", cases, false);
    }

    /** TEST-io.ktlshttps.CLASS.xml with count cases named method, or method[i] for more than one. */
    private static void report(Path dir, String simpleName, String method, int count, boolean skipped)
            throws IOException {
        List<String> cases = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            cases.add(count == 1 ? method : method + "[" + i + "]");
        }
        write(dir, simpleName, cases, skipped);
    }

    private static void write(Path dir, String simpleName, List<String> cases, boolean skipped) throws IOException {
        String name = "io.ktlshttps." + simpleName;
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"")
                .append(name).append("\" tests=\"").append(cases.size()).append("\" failures=\"0\" errors=\"0\"")
                .append(" skipped=\"").append(skipped ? cases.size() : 0).append("\">\n");
        for (String c : cases) {
            xml.append("  <testcase name=\"").append(c).append("\" classname=\"").append(name).append("\" time=\"0.1\"")
                    .append(skipped ? "><skipped message=\"no kernel TLS\"/></testcase>\n" : "/>\n");
        }
        xml.append("</testsuite>\n");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("TEST-" + name + ".xml"), xml, StandardCharsets.UTF_8);
    }

    /** What kernel-tests.sh says a UML run leaves: the kernel directory, and the QEMU one with its QEMU_TESTS. */
    private static List<String> kernelReportDirs() throws Exception {
        Outcome o = run(List.of("scripts/kernel-tests.sh", "--report-dirs"), Map.of("KTLS_HARNESS", "uml"));
        assertEquals(0, o.status(), o.output());
        List<String> dirs = o.output().lines().toList();
        assertEquals(2, dirs.size(), o.output());
        assertEquals("target/surefire-reports-kernel", dirs.get(0));
        assertTrue(dirs.get(1).startsWith("target/surefire-reports-qemu="), dirs.get(1));
        return dirs;
    }

    private static String qemuTests() throws Exception {
        return kernelReportDirs().get(1).split("=", 2)[1];
    }

    record Outcome(int status, String output) {
    }

    private static Outcome run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().remove("CI");
        b.environment().remove("KTLS_QEMU");
        b.environment().remove("KTLS_TEST_FLOORS");
        b.environment().putAll(env);
        Process p = b.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        return new Outcome(p.exitValue(), out);
    }

    /** test-summary.sh with the three directories of a UML run, the QEMU one with its patterns. */
    private Outcome summary() throws Exception {
        return run(List.of("scripts/test-summary.sh", host.toString(), kernel.toString(),
                qemu + "=" + qemuTests()), Map.of());
    }

    private void assertFails(String why) throws Exception {
        Outcome o = summary();
        assertEquals(1, o.status(), o.output());
        assertTrue(o.output().contains("test-summary: " + why), o.output());
    }

    @Test
    void aFullRunPasses() throws Exception {
        Outcome o = summary();
        assertEquals(0, o.status(), o.output());
        assertTrue(o.output().contains("qemu: 46 passed, 0 failed, 0 skipped"), o.output());
    }

    @Test
    void aHarnessThatLeftNoReportsFails() throws Exception {
        try (var files = Files.list(qemu)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(qemu);
        assertFails("qemu: no report directory " + qemu);
    }

    @Test
    void aHarnessThatRanNoTestFails() throws Exception {
        try (var files = Files.list(kernel)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Outcome o = run(List.of("scripts/test-summary.sh", host.toString(), kernel.toString()),
                Map.of("KTLS_TEST_FLOORS", "off"));
        assertEquals(1, o.status(), o.output());
        assertTrue(o.output().contains("test-summary: kernel: ran no test"), o.output());
    }

    @Test
    void noExpectedHarnessIsAUsageError() throws Exception {
        assertEquals(2, run(List.of("scripts/test-summary.sh"), Map.of()).status());
    }

    /** A class of QEMU_TESTS renamed in the code: Maven runs nothing for the old name, and says nothing. */
    @Test
    void aQemuClassThatRanNothingFails() throws Exception {
        Files.move(qemu.resolve("TEST-io.ktlshttps.KernelRecordLimitKernelTest.xml"),
                qemu.resolve("TEST-io.ktlshttps.KernelRecordCapKernelTest.xml"));
        report(qemu, "KernelRecordCapKernelTest", "aCase", 10, false);
        assertFails("qemu: KernelRecordLimitKernelTest was to run and matched no test that ran");
    }

    /** Class#a*+b*: each method pattern on its own, not the class as a whole. */
    @Test
    void aQemuMethodPatternThatMatchedNothingFails() throws Exception {
        realClients(true, false);
        report(qemu, "KernelKeyUpdateKernelTest", "aCase", 20, false); // still above the floor
        assertFails("qemu: KernelRealClientsKernelTest#gnutlsRecordSize* was to run and matched no test that ran");
    }

    @Test
    void aQemuPatternWhoseTestsWereAllSkippedFails() throws Exception {
        report(qemu, "KernelRequiredRealClientsKernelTest", "maxFragmentLengthIsAgreedOnlyWhereTheKernelCanCapRecords",
                1, true);
        assertFails("qemu: KernelRequiredRealClientsKernelTest#maxFragmentLength* was to run and matched no test"
                + " that ran");
    }

    @Test
    void aHostClassThatRanNothingFails() throws Exception {
        Files.delete(host.resolve("TEST-io.ktlshttps.FdOwnershipTest.xml"));
        report(host, "HttpDateTest", "aCase", 16, false);
        assertFails("host: FdOwnershipTest ran no test");
    }

    @Test
    void aHarnessBelowItsFloorFails() throws Exception {
        report(kernel, "SoakKernelTest", "aCase", 1, false);
        assertFails("kernel: 221 tests passed, fewer than the 230 a full run has");
    }

    /** Without the QEMU run (KTLS_QEMU=off), kernel-tests.sh expects the kernel directory alone. */
    @Test
    void withoutQemuOnlyTheKernelDirectoryIsExpected() throws Exception {
        Outcome o = run(List.of("scripts/kernel-tests.sh", "--report-dirs"),
                Map.of("KTLS_HARNESS", "uml", "KTLS_QEMU", "off"));
        assertEquals(0, o.status(), o.output());
        assertEquals("target/surefire-reports-kernel\n", o.output());
    }

    /**
     * Each class of QEMU_TESTS is a test class here, and each method pattern matches one of
     * its test methods: a rename fails this on the host, before any QEMU run.
     */
    @Test
    void qemuTestsNameTestsThatExist() throws Exception {
        for (String part : qemuTests().split(",")) {
            String[] classAndMethods = part.split("#", 2);
            Class<?> c = Class.forName("io.ktlshttps." + classAndMethods[0]);
            if (classAndMethods.length == 1) {
                continue;
            }
            for (String pattern : classAndMethods[1].split("\\+")) {
                String regex = pattern.replace("*", ".*");
                boolean found = false;
                for (Class<?> k = c; k != null && !found; k = k.getSuperclass()) {
                    for (Method m : k.getDeclaredMethods()) {
                        boolean test = m.isAnnotationPresent(Test.class)
                                || m.isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class);
                        found |= test && m.getName().matches(regex);
                    }
                }
                assertTrue(found, part + ": no test method of " + c.getSimpleName() + " matches " + pattern);
            }
        }
    }
}
