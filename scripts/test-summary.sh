#!/usr/bin/env bash
# Adds up the JUnit reports of the unit and kernel test runs into one closing line,
# and fails if nothing ran or anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$@" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
dirs = sys.argv[1:] or ["target/surefire-reports", "target/surefire-reports-kernel", "target/surefire-reports-qemu"]
total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
import os
for d in dirs:
    if not os.path.isdir(d):
        continue
    part = dict.fromkeys(total, 0)
    for f in glob.glob(d + "/TEST-*.xml"):
        root = ET.parse(f).getroot()
        for k in part:
            part[k] += int(root.get(k, 0))
    for k in total:
        total[k] += part[k]
    print(f"{d}: {part['tests']} run, {part['failures'] + part['errors']} failed, {part['skipped']} skipped")
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
failed = total["failures"] + total["errors"]
print(f"tests: {passed} passed, {failed} failed, {total['skipped']} skipped")
sys.exit(0 if total["tests"] > 0 and failed == 0 else 1)
PY
