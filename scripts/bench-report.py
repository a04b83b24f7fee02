#!/usr/bin/env python3
"""Turns target/bench/results.csv into docs/benchmarks/: medians (CSV and Markdown),
ratios against the targets of the benchmark issue, and PNG plots drawn by gnuplot."""
import csv
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
values = defaultdict(list)
with open(os.path.join(src, "results.csv")) as f:
    for r in csv.DictReader(f):
        if r["value"] not in ("", "nan"):
            values[(r["harness"], r["scenario"], r["server"], r["metric"])].append(float(r["value"]))
median = {k: statistics.median(v) for k, v in values.items()}
runs = {k: len(v) for k, v in values.items()}
harnesses = sorted({k[0] for k in median}, key=lambda h: (h == "host", h))
kernel_harness = next((h for h in harnesses if h != "host" or any(k[2] == "raw-limit" for k in median if k[0] == h)), None)

with open(os.path.join(out, "results.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["harness", "scenario", "server", "metric", "median", "runs"])
    for k in sorted(median):
        w.writerow([*k, f"{median[k]:.4g}", runs[k]])
shutil.copy(os.path.join(src, "results.csv"), os.path.join(out, "raw-runs.csv"))
shutil.copy(os.path.join(src, "env.txt"), os.path.join(out, "environment.txt"))

def get(h, sc, s, m):
    return median.get((h, sc, s, m))

def fmt(v, digits=3):
    return "–" if v is None else f"{v:.{digits}g}"

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

SERVERS = ["ktls-kernel", "ktls-userspace", "jsse", "nginx-ktls", "nginx-userspace", "raw-limit"]
lines = []
env = open(os.path.join(src, "env.txt")).read().strip()
lines += ["# Benchmarks", "", "Produced by `make bench` (scripts/bench.sh). Medians of the runs; every ratio",
          "compares servers measured in the same run, on the same kernel, with the same client.", "",
          "```", env, "```", ""]
for h in harnesses:
    present = [s for s in SERVERS if any(k[0] == h and k[2] == s for k in median)]
    lines += [f"## Harness: {h}", ""]
    lines += ["| server | (a) 1×64 MiB MB/s | (a) CPU s/GiB | (a) user CPU s/GiB | (b) 8×16 MiB MB/s | (b) CPU s/GiB |"
              " (c) 1 KiB req/s | p50 ms | p99 ms | (c) 64 KiB req/s | p50 ms | p99 ms | (d) new TLS conns/s |",
              "|" + "---|" * 13]
    for s in present:
        lines.append("| " + " | ".join([s,
            fmt(get(h, "a", s, "MBps")), fmt(get(h, "a", s, "cpu_s_per_GiB")), fmt(get(h, "a", s, "user_cpu_s_per_GiB")),
            fmt(get(h, "b", s, "MBps")), fmt(get(h, "b", s, "cpu_s_per_GiB")),
            fmt(get(h, "c-1KiB", s, "req_per_s")), fmt(get(h, "c-1KiB", s, "p50_ms")), fmt(get(h, "c-1KiB", s, "p99_ms")),
            fmt(get(h, "c-64KiB", s, "req_per_s")), fmt(get(h, "c-64KiB", s, "p50_ms")), fmt(get(h, "c-64KiB", s, "p99_ms")),
            fmt(get(h, "d", s, "req_per_s"))]) + " |")
    lines.append("")
    e_sizes = sorted({k[1] for k in median if k[0] == h and k[1].startswith("e-")})
    if e_sizes:
        lines += ["### (e) the original's comparison: one download, MB/s", "",
                  "| file | sendfile, kernel TLS | write, kernel TLS | user-space records |", "|---|---|---|---|"]
        for e in e_sizes:
            label = e[2:].replace("cMiB.bin", "")
            lines.append(f"| {int(label) / 100:.2f} MiB | " + " | ".join(
                fmt(get(h, e, s, "MBps")) for s in ("ktls-kernel", "ktls-kernel-write", "ktls-userspace")) + " |")
        lines.append("")

def target(name, value, goal, better="higher"):
    if value is None:
        return f"| {name} | – | {goal} | not measured |"
    ok = value >= goal if better == "higher" else value <= goal
    return f"| {name} | {value:.2f} | {'≥' if better == 'higher' else '≤'} {goal} | {'met' if ok else 'short'} |"

lines += ["## Targets", "", "| ratio | measured | target | |", "|---|---|---|---|"]
k = kernel_harness
if k:
    lines.append(target(f"(a) throughput, ktls-https kernel / nginx kTLS [{k}]",
                        ratio(get(k, "a", "ktls-kernel", "MBps"), get(k, "a", "nginx-ktls", "MBps")), 1.0))
    lines.append(target(f"(a) CPU s/GiB, ktls-https kernel / nginx kTLS [{k}]",
                        ratio(get(k, "a", "ktls-kernel", "cpu_s_per_GiB"), get(k, "a", "nginx-ktls", "cpu_s_per_GiB")), 1.0, "lower"))
    lines.append(target(f"(a) CPU s/GiB, ktls-https kernel / raw limit [{k}]",
                        ratio(get(k, "a", "ktls-kernel", "cpu_s_per_GiB"), get(k, "a", "raw-limit", "cpu_s_per_GiB")), 1.1, "lower"))
    lines.append(target(f"(b) throughput, ktls-https kernel / nginx kTLS [{k}]",
                        ratio(get(k, "b", "ktls-kernel", "MBps"), get(k, "b", "nginx-ktls", "MBps")), 1.0))
    lines.append(target(f"(c) 1 KiB req/s, ktls-https kernel / nginx kTLS [{k}]",
                        ratio(get(k, "c-1KiB", "ktls-kernel", "req_per_s"), get(k, "c-1KiB", "nginx-ktls", "req_per_s")), 0.8))
    lines.append(target(f"(c) 64 KiB req/s, ktls-https kernel / nginx kTLS [{k}]",
                        ratio(get(k, "c-64KiB", "ktls-kernel", "req_per_s"), get(k, "c-64KiB", "nginx-ktls", "req_per_s")), 0.8))
    lines.append(target(f"(a) JVM user CPU/GiB, kTLS sendfile / user space [{k}]",
                        ratio(get(k, "a", "ktls-kernel", "user_cpu_s_per_GiB"), get(k, "a", "ktls-userspace", "user_cpu_s_per_GiB")), 0.02, "lower"))
if "host" in harnesses:
    lines.append(target("(d) new connections/s, ktls-https / nginx [host]",
                        ratio(get("host", "d", "ktls-userspace", "req_per_s"), get("host", "d", "nginx-userspace", "req_per_s")), 0.5))
    lines.append(target("(a) throughput, ktls-https --ktls=off / JSSE [host]",
                        ratio(get("host", "a", "ktls-userspace", "MBps"), get("host", "a", "jsse", "MBps")), 1.0))
lines.append("")

# Plots: throughput (a, b) and request rates (c, d) per server, kernel harness first.
plots = []
for h in harnesses:
    present = [s for s in SERVERS if any(kk[0] == h and kk[2] == s for kk in median)]
    for name, metric, scenarios, ylabel in (
            ("throughput", "MBps", ["a", "b"], "MB/s (median)"),
            ("requests", "req_per_s", ["c-1KiB", "c-64KiB", "d"], "requests/s (median)")):
        rows = [s for s in present if any(get(h, sc, s, metric) is not None for sc in scenarios)]
        if not rows:
            continue
        data = os.path.join(src, f"{name}-{h}.dat")
        with open(data, "w") as f:
            labels = {"a": "(a) 1 x 64 MiB", "b": "(b) 8 x 16 MiB", "c-1KiB": "(c) 1 KiB keep-alive",
                      "c-64KiB": "(c) 64 KiB keep-alive", "d": "(d) new TLS 1.3 connections"}
            f.write("server " + " ".join('"%s"' % labels[sc] for sc in scenarios) + "\n")
            for s in rows:
                f.write(s + " " + " ".join(str(get(h, sc, s, metric) or 0) for sc in scenarios) + "\n")
        png = f"{name}-{h}.png"
        script = f"""set terminal pngcairo size 900,480 font 'sans,10'
set output '{os.path.join(out, png)}'
set title '{name} per server and scenario, harness {h}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel '{ylabel}'
set key inside top right
set xtics rotate by -20
set grid ytics
plot '{data}' using 2:xtic(1) title columnheader(2)""" + "".join(
            f", '' using {i + 2} title columnheader({i + 2})" for i in range(1, len(scenarios)))
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
            plots.append(png)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"bench-report: gnuplot failed for {png}: {e}", file=sys.stderr)
for png in plots:
    lines += [f"![{png}]({png})", ""]

lines += ["## What these numbers mean", "",
          "- In the UML test kernel, kernel crypto is generic C with no AES-NI, and everything",
          "  (server, client, kernel) shares one CPU. There, kernel-TLS-versus-user-space ratios do",
          "  not predict real hardware; kernel-versus-kernel ratios (ktls-https vs nginx kTLS vs the",
          "  raw limit) are fair.",
          "- Because UML runs everything on one CPU, a download's throughput there also pays for",
          "  the client's decryption. Server CPU seconds per GiB (utime + stime of all the server's",
          "  threads, from /proc/PID/stat) is the server's own cost.",
          "- The host harness has no kernel TLS: it compares the user-space servers only.",
          "- On a machine whose kernel has kernel TLS, the same `make bench` runs everything on",
          "  the host kernel and gives real numbers.", ""]
with open(os.path.join(out, "README.md"), "w") as f:
    f.write("\n".join(lines))
print("\n".join(lines))
