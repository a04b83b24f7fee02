#!/usr/bin/env bash
# Adds up the JUnit reports of each test run (host, kernel, QEMU) and prints one line per
# run and a closing total. Fails if anything failed; if a run executed fewer tests than
# its floor, or none of a class it must run (an empty or half-empty harness run proves
# nothing, and would hide under another run's total); and, with CI=true, if anything was
# skipped. KTLS_TEST_FLOORS=off turns the floors off (a run of selected tests).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$@" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET

# What each full run must at least do. Floors sit a little under the counts of a full
# run on Linux 6.1 (UML) and 7.3 (QEMU); a kernel with fewer ciphers runs fewer cases.
EXPECTED = {
    "surefire-reports": (150, ["UserSpaceEndToEndTest", "RealClientsTest", "ResumptionTest",
                               "HostileClientsTest", "LayeringTest", "KeyExportTest", "SessionCacheTest",
                               "HttpExchangeTest", "FdOwnershipTest", "FailFastTest"]),
    "surefire-reports-kernel": (230, ["KernelDataPathKernelTest", "KernelReceivePathKernelTest",
                                      "KernelEndToEndKernelTest", "KernelRealClientsKernelTest",
                                      "KernelRequiredRealClientsKernelTest", "KernelRecordLimitKernelTest",
                                      "KernelKeyUpdateKernelTest", "KernelHostileRecordsKernelTest",
                                      "SoakKernelTest"]),
    "surefire-reports-qemu": (40, ["KernelKeyUpdateKernelTest", "KernelHostileRecordsKernelTest",
                                   "KernelRecordLimitKernelTest", "KernelRealClientsKernelTest",
                                   "KernelRequiredRealClientsKernelTest"]),
}
NAMES = {"surefire-reports": "host", "surefire-reports-kernel": "kernel", "surefire-reports-qemu": "qemu"}
floors = os.environ.get("KTLS_TEST_FLOORS", "on") != "off"
ci = os.environ.get("CI", "").lower() == "true"
dirs = sys.argv[1:] or ["target/surefire-reports", "target/surefire-reports-kernel", "target/surefire-reports-qemu"]
total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
problems = []
for d in dirs:
    if not os.path.isdir(d):
        continue
    part = dict.fromkeys(total, 0)
    per_class = {}
    for f in glob.glob(d + "/TEST-*.xml"):
        root = ET.parse(f).getroot()
        for k in part:
            part[k] += int(root.get(k, 0))
        name = root.get("name", "").rsplit(".", 1)[-1]
        per_class[name] = per_class.get(name, 0) + int(root.get("tests", 0)) - int(root.get("skipped", 0))
    for k in total:
        total[k] += part[k]
    base = os.path.basename(d.rstrip("/"))
    label = NAMES.get(base, base)
    failed = part["failures"] + part["errors"]
    passed = part["tests"] - failed - part["skipped"]
    print(f"{label}: {passed} passed, {failed} failed, {part['skipped']} skipped")
    if floors and base in EXPECTED:
        floor, classes = EXPECTED[base]
        if passed < floor:
            problems.append(f"{label}: {passed} tests passed, fewer than the {floor} a full run has")
        for c in classes:
            if per_class.get(c, 0) == 0:
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
