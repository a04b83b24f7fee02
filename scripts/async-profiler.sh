#!/usr/bin/env bash
# Prints the path of async-profiler 4.2's libasyncProfiler.so, fetching it first if needed
# (tools.profiler:async-profiler:4.2:linux-x64 from Maven Central, into target/async-profiler;
# a benchmark tool, not a dependency of the server). Used by the profiling scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
AP=target/async-profiler
if [ ! -f $AP/linux-x64/libasyncProfiler.so ]; then
  mkdir -p $AP
  mvn -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.2:jar:linux-x64 -DoutputDirectory=$AP >&2
  python3 -m zipfile -e $AP/async-profiler-4.2-linux-x64.jar $AP
fi
echo "$PWD/$AP/linux-x64/libasyncProfiler.so"
