#!/usr/bin/env bash
# Adds up the JUnit reports of each test run (host, kernel, QEMU) and prints one line per
# run and a closing total.
#   scripts/test-summary.sh DIR[=PATTERNS]...
# Each DIR is a report directory this run must have produced: the caller says which
# harnesses ran (the Makefile asks scripts/kernel-tests.sh --report-dirs), nothing is
# guessed. PATTERNS is what that run was asked to run, in Maven's -Dtest syntax
# (Class,Class#method*+other*): each class and each method pattern must have run at least
# one test (kernel-tests.sh passes its QEMU_TESTS, so a renamed class or method fails here
# instead of running nothing).
# Fails if anything failed; if a directory is missing or ran no test; if a pattern matched
# no test that ran; if a run executed fewer tests than its floor, or none of a class it must
# run (an empty or half-empty harness run proves nothing, and would hide under another
# run's total); and, with CI=true, if anything was skipped. KTLS_TEST_FLOORS=off turns the
# floors and the class lists off (a run of selected tests), not the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  echo "usage: scripts/test-summary.sh DIR[=PATTERNS]... (the report directories this run must have)" >&2
  exit 2
fi
python3 - "$@" <<'PY'
import fnmatch, glob, os, sys, xml.etree.ElementTree as ET

# What each full run must at least do. Floors sit a little under the counts of a full
# run on Linux 6.1 (UML) and 7.3 (QEMU); a kernel with fewer ciphers runs fewer cases.
# The QEMU run's classes and methods come from kernel-tests.sh's QEMU_TESTS (its PATTERNS).
EXPECTED = {
    "surefire-reports": (150, ["UserSpaceEndToEndTest", "RealClientsTest", "ResumptionTest",
                               "HostileClientsTest", "LayeringTest", "KeyExportTest", "SessionCacheTest",
                               "HttpExchangeTest", "FdOwnershipTest", "FailFastTest", "StartupErrorsTest",
                               "StalledHandshakesTest", "SlowClientsTest", "OperationsProcessTest",
                               "SystemdUnitTest"]),
    "surefire-reports-kernel": (230, ["KernelDataPathKernelTest", "KernelReceivePathKernelTest",
                                      "KernelEndToEndKernelTest", "KernelRealClientsKernelTest",
                                      "KernelRequiredRealClientsKernelTest", "KernelRecordLimitKernelTest",
                                      "KernelKeyUpdateKernelTest", "KernelHostileRecordsKernelTest",
                                      "SoakKernelTest", "FdOwnershipKernelTest",
                                      "KernelRequiredCiphersKernelTest", "SlowClientsKernelTest"]),
    "surefire-reports-qemu": (40, []),
}
NAMES = {"surefire-reports": "host", "surefire-reports-kernel": "kernel", "surefire-reports-qemu": "qemu"}
floors = os.environ.get("KTLS_TEST_FLOORS", "on") != "off"
ci = os.environ.get("CI", "").lower() == "true"


def class_matches(pattern, classname):
    """Maven's class part: a simple or qualified name, with * wildcards."""
    simple = classname.rsplit(".", 1)[-1]
    return fnmatch.fnmatchcase(simple, pattern) or fnmatch.fnmatchcase(classname, pattern.replace("/", "."))


def unmatched(patterns, ran):
    """The parts of a -Dtest value that matched no test that ran: [(class, method)] of the tests that ran."""
    missing = []
    for part in filter(None, (p.strip() for p in patterns.split(","))):
        cls, _, methods = part.partition("#")
        if not methods:
            if not any(class_matches(cls, c) for c, _ in ran):
                missing.append(part)
            continue
        for m in methods.split("+"):
            if not any(class_matches(cls, c) and fnmatch.fnmatchcase(name, m) for c, name in ran):
                missing.append(cls + "#" + m)
    return missing


total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
problems = []
for arg in sys.argv[1:]:
    d, _, patterns = arg.partition("=")
    base = os.path.basename(d.rstrip("/"))
    label = NAMES.get(base, base)
    if not os.path.isdir(d):
        problems.append(f"{label}: no report directory {d}: that harness was to run and did not")
        continue
    part = dict.fromkeys(total, 0)
    ran = []  # (class, method) of every test that ran (passed or failed, not skipped)
    for f in glob.glob(d + "/TEST-*.xml"):
        root = ET.parse(f).getroot()
        for k in part:
            part[k] += int(root.get(k, 0))
        for case in root.iter("testcase"):
            if case.find("skipped") is None:
                # JUnit 5 parameterized cases are named "method(String, int)[3]".
                ran.append((case.get("classname", ""), case.get("name", "").split("(", 1)[0].split("[", 1)[0]))
    for k in total:
        total[k] += part[k]
    failed = part["failures"] + part["errors"]
    passed = part["tests"] - failed - part["skipped"]
    print(f"{label}: {passed} passed, {failed} failed, {part['skipped']} skipped")
    if not ran:
        problems.append(f"{label}: ran no test")
    for p in unmatched(patterns, ran):
        problems.append(f"{label}: {p} was to run and matched no test that ran")
    if floors and base in EXPECTED:
        floor, classes = EXPECTED[base]
        if passed < floor:
            problems.append(f"{label}: {passed} tests passed, fewer than the {floor} a full run has")
        for c in unmatched(",".join(classes), ran):
            problems.append(f"{label}: {c} ran no test")
    if ci and part["skipped"]:
        problems.append(f"{label}: {part['skipped']} skipped, and CI=true allows none")
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
failed = total["failures"] + total["errors"]
print(f"tests: {passed} passed, {failed} failed, {total['skipped']} skipped")
for p in problems:
    print("test-summary: " + p, file=sys.stderr)
sys.exit(0 if total["tests"] > 0 and failed == 0 and not problems else 1)
PY
