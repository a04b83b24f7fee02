#!/usr/bin/env python3
"""Medians of a same-run A/B check (bench-run.sh with BENCH_AB_JAR) from a results CSV:
per server, and per run the ratios A/nginx, B/nginx and A/B, with their spread.
Usage: ab-report.py RESULTS.csv [SCENARIO]   (default scenario: a)"""
import collections
import statistics as st
import sys

path = sys.argv[1]
scenario = sys.argv[2] if len(sys.argv) > 2 else "a"
runs = collections.defaultdict(dict)
for line in open(path):
    fields = line.strip().split(",")
    if len(fields) != 6 or fields[1] != scenario or fields[4] == "void":
        continue
    _, _, server, run, metric, value = fields
    runs[(metric, int(run))][server] = float(value)
a, b, ref = "ktls-kernel", "ktls-kernel-ab", "nginx-ktls"
for metric in sorted({m for m, _ in runs}):
    rows = [v for (m, _), v in sorted(runs.items()) if m == metric]
    print(f"{metric}")
    for s in (a, b, ref, "raw-limit"):
        xs = [v[s] for v in rows if s in v]
        if xs:
            print(f"  {s:16} median {st.median(xs):7.2f}  {len(xs)} runs, {min(xs):.2f} to {max(xs):.2f}")
    for x, y in ((a, ref), (b, ref), (a, b)):
        rs = [v[x] / v[y] for v in rows if x in v and y in v and v[y]]
        if rs:
            above = sum(r > 1 for r in rs)
            print(f"  {x} / {y}: median {st.median(rs):.2f}, {len(rs)} runs, {min(rs):.2f} to {max(rs):.2f},"
                  f" above 1 in {above}")
