#!/usr/bin/env bash
# wrk (1 thread, 8 connections) in CHUNK-second runs until COUNT requests are done and MIN
# seconds have passed, or CAP seconds: prints the requests done. The warm-up of make bench
# (scripts/bench-run.sh) and of the profiling scripts, so that a profile is taken after the
# same work as the runs it explains.
# Usage: scripts/wrk-until.sh COUNT MIN CAP CHUNK URL [wrk args...]
set -euo pipefail
count=$1 min=$2 cap=$3 chunk=$4 url=$5
shift 5
done_=0 t0=$SECONDS
while { [ "$done_" -lt "$count" ] || [ $((SECONDS - t0)) -lt "$min" ]; } && [ $((SECONDS - t0)) -lt "$cap" ]; do
  n=$(wrk -t1 -c8 -d"${chunk}s" "$@" "$url" 2>&1 | awk '/requests in/ {print $1}')
  done_=$((done_ + ${n:-0}))
done
echo "$done_"
