#!/usr/bin/env python3
"""Turns target/bench/results.csv (and void.csv) into docs/benchmarks/: medians with the
number of runs they rest on, per-run ratios (servers compared within the same run),
targets, the void runs and why, PNG plots drawn by gnuplot, and the summary paragraph
that the README quotes (rewritten between its bench:summary markers).
Usage: bench-report.py SRC_DIR OUT_DIR [README.md]"""
import csv
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

src, out = sys.argv[1], sys.argv[2]
readme = sys.argv[3] if len(sys.argv) > 3 else None
os.makedirs(out, exist_ok=True)

voided = {}
void_path = os.path.join(src, "void.csv")
if os.path.exists(void_path):
    with open(void_path) as f:
        for r in csv.reader(f):
            if len(r) >= 5 and r[0] != "harness":
                voided[(r[0], r[1], r[2], r[3])] = ",".join(r[4:])

per_run = defaultdict(dict)  # (harness, scenario, server, metric) -> {run: value}
with open(os.path.join(src, "results.csv")) as f:
    for r in csv.DictReader(f):
        if r["metric"] == "void" or r["value"] in ("", "nan"):
            continue
        if (r["harness"], r["scenario"], r["server"], r["run"]) in voided:
            continue
        per_run[(r["harness"], r["scenario"], r["server"], r["metric"])][r["run"]] = float(r["value"])
median = {k: statistics.median(v.values()) for k, v in per_run.items() if v}
runs = {k: len(v) for k, v in per_run.items()}
harnesses = sorted({k[0] for k in median}, key=lambda h: (h == "host", h))
kernel_harness = next((h for h in harnesses if any(k[2] == "ktls-kernel" for k in median if k[0] == h)), None)

with open(os.path.join(out, "results.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["harness", "scenario", "server", "metric", "median", "runs"])
    for k in sorted(median):
        w.writerow([*k, f"{median[k]:.4g}", runs[k]])
shutil.copy(os.path.join(src, "results.csv"), os.path.join(out, "raw-runs.csv"))
if os.path.exists(void_path):
    shutil.copy(void_path, os.path.join(out, "void-runs.csv"))
shutil.copy(os.path.join(src, "env.txt"), os.path.join(out, "environment.txt"))


def get(h, sc, s, m):
    return median.get((h, sc, s, m))


def n(h, sc, s, m):
    return runs.get((h, sc, s, m), 0)


def fmt(v, digits=3):
    return "–" if v is None else f"{v:.{digits}g}"


def cell(h, sc, s, m, digits=3):
    v = get(h, sc, s, m)
    return "–" if v is None else f"{v:.{digits}g} ({n(h, sc, s, m)})"


def ratios(h, sc, a, b, m):
    """Per-run ratios a/b, each from one run in which both servers were measured."""
    ra, rb = per_run.get((h, sc, a, m), {}), per_run.get((h, sc, b, m), {})
    return [ra[r] / rb[r] for r in sorted(ra) if r in rb and rb[r]]


def ratio_text(rs):
    if not rs:
        return "–"
    if len(rs) == 1:
        return f"{rs[0]:.2f} (1 run)"
    return f"{statistics.median(rs):.2f} ({min(rs):.2f} to {max(rs):.2f}, {len(rs)} runs)"


SERVERS = ["ktls-kernel", "ktls-userspace", "jsse", "nginx-ktls", "nginx-userspace", "raw-limit"]
RECONNECT = {"r-13": "TLS 1.3, P-256", "r-12": "TLS 1.2, P-256", "r-13rsa": "TLS 1.3, RSA-2048",
             "r-12rsa": "TLS 1.2, RSA-2048"}
SLOW = {"s-handshakes": "stalled handshakes", "s-heads": "half-sent heads", "s-downloads": "stalled downloads"}
env = open(os.path.join(src, "env.txt")).read().strip()
lines = ["# Benchmarks", "",
         "Produced by `make bench` (scripts/bench.sh, scripts/bench-run.sh). Each cell is the median of",
         "the runs that count, with their number in parentheses; ratios are taken within each run",
         "(servers measured side by side, same kernel, same client, same pinned TLS setup) and",
         "their median and range are given. A run is void, and left out, when a client saw an",
         "error, a server's own counters could not be read or show other handshakes than the",
         "scenario asks or than the client made, or no kernel TLS where the server claims it,",
         "or kernel TLS on a user-space server (see void-runs.csv).", "",
         "```", env, "```", ""]
for h in harnesses:
    present = [s for s in SERVERS if any(k[0] == h and k[2] == s for k in median)]
    lines += [f"## Harness: {h}", "",
              "Downloads and keep-alive requests: TLS 1.3, TLS_AES_256_GCM_SHA384, X25519.", "",
              "| server | (a) 1×64 MiB MB/s | (a) CPU s/GiB | (b) 8×16 MiB MB/s | (b) CPU s/GiB |"
              " (c) 1 KiB req/s | p50 ms | p99 ms | CPU µs/req | (c) 64 KiB req/s | p99 ms | CPU µs/req |",
              "|" + "---|" * 12]
    for s in present:
        lines.append("| " + " | ".join([s,
            cell(h, "a", s, "MBps"), cell(h, "a", s, "cpu_s_per_GiB"),
            cell(h, "b", s, "MBps"), cell(h, "b", s, "cpu_s_per_GiB"),
            cell(h, "c-1KiB", s, "req_per_s"), cell(h, "c-1KiB", s, "p50_ms"), cell(h, "c-1KiB", s, "p99_ms"),
            cell(h, "c-1KiB", s, "cpu_us_per_req"),
            cell(h, "c-64KiB", s, "req_per_s"), cell(h, "c-64KiB", s, "p99_ms"),
            cell(h, "c-64KiB", s, "cpu_us_per_req")]) + " |")
    lines += ["", "Handshakes, one 1 KiB request per connection (wrk, `Connection: close`): TLS 1.2,",
              "ECDHE-ECDSA-AES256-GCM-SHA384, X25519, P-256 certificate; full: resumption off on every",
              "server; resumed: session IDs on everywhere, tickets off everywhere.", "",
              "First 1,000: seconds for a fresh server's first 1,000 full handshakes (8 at a time, from its",
              "first connection after it answered; JIT cold; one sample per bench, before any warm-up).", "",
              "| server | full: handshakes/s | CPU µs/handshake | resumed: handshakes/s | CPU µs/handshake |"
              " first 1,000, s |",
              "|---|---|---|---|---|---|"]
    for s in present:
        if any(get(h, sc, s, m) is not None for sc, m in (("d-full", "req_per_s"), ("d-resumed", "req_per_s"),
                                                           ("d-first", "seconds_to_1000"))):
            lines.append("| " + " | ".join([s, cell(h, "d-full", s, "req_per_s"), cell(h, "d-full", s, "cpu_us_per_req"),
                                            cell(h, "d-resumed", s, "req_per_s"),
                                            cell(h, "d-resumed", s, "cpu_us_per_req"),
                                            cell(h, "d-first", s, "seconds_to_1000")]) + " |")
    lines.append("")
    rc_rows = [s for s in present if any(get(h, sc, s, "req_per_s") is not None for sc in RECONNECT)]
    if rc_rows:
        lines += ["Reconnecting clients: a new connection per 1 KiB request (wrk, `Connection: close`), wrk",
                  "offering each connection's last session; each server with its own resumption defaults",
                  "(ours: session IDs and tickets; nginx: tickets, no session cache). A run counts only if at",
                  "least 90 % of its handshakes resumed, as the server itself reports (our /server-status,",
                  "nginx's $ssl_session_reused). CPU µs per request (runs); requests/s.", "",
                  "| server | " + " | ".join(RECONNECT.values()) + " |", "|---|" + "---|" * len(RECONNECT)]
        for s in rc_rows:
            lines.append("| " + " | ".join([s] + [cell(h, sc, s, "cpu_us_per_req") + "; " + (
                "–" if get(h, sc, s, "req_per_s") is None else f"{get(h, sc, s, 'req_per_s'):.0f}/s")
                for sc in RECONNECT]) + " |")
        lines.append("")
    sys_rows = [s for s in present if any(get(h, sc, s, "syscalls_per_req") is not None for sc in ("c-1KiB", "d-full"))]
    if sys_rows:
        lines += ["System calls (strace -f -c on the server during a 1 s and a 4 s wrk run after the last measured run:",
                  "the difference in calls over the difference in requests, so each run's own 8 handshakes cancel out;",
                  "every JVM thread counts, JIT and GC included; nginx's worker; tables in strace-*.txt):", "",
                  "| server | per 1 KiB keep-alive request | per new connection (full handshake, 1 KiB, close) |",
                  "|---|---|---|"]
        for s in sys_rows:
            lines.append("| " + " | ".join([s, cell(h, "c-1KiB", s, "syscalls_per_req"),
                                            cell(h, "d-full", s, "syscalls_per_req")]) + " |")
        lines.append("")
    idle_rows = [s for s in present if get(h, "idle", s, "held") is not None]
    if idle_rows:
        lines += ["Idle connections: each client makes one 1 KiB request (TLS 1.3, TLS_AES_256_GCM_SHA384, X25519)",
                  "and stays connected; memory is the server's RSS growth divided by the connections held, read",
                  "once they have been idle BENCH_SETTLE seconds (25 by default; the target's figure) and at once",
                  "(2 s after the last answer, the burst's garbage and heap growth included); the baseline is read",
                  "after the same settling. One more request is a new connection (handshake and 1 KiB) while they",
                  "are held, by curl (median of 5), and the same before any are held: the difference is what",
                  "holding them costs; the rest is the client's own handshake and start.",
                  "Every run starts fresh servers: a server that held them before reuses what it grew.",
                  "Retained heap (JVM only) is the heap in use after a full collection while they are held,",
                  "less the same once they have gone: what the JVM keeps per connection, garbage aside. Where",
                  "jcmd cannot attach (UML), it is /server-status's heap in use after the settling, with them",
                  "and before them, both after --return-heap-after's collection.", "",
                  "| server | connections held | RSS MiB | KiB per connection (RSS, settled) | KiB per connection"
                  " (RSS, at once) | retained heap KiB per connection | threads | one more request, ms |"
                  " the same, none held |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for s in idle_rows:
            lines.append("| " + " | ".join([s, cell(h, "idle", s, "held", 6), cell(h, "idle", s, "rss_mib"),
                                            cell(h, "idle", s, "kib_per_conn"),
                                            cell(h, "idle", s, "kib_per_conn_at_once"),
                                            cell(h, "idle", s, "heap_kib_per_conn"), cell(h, "idle", s, "threads"),
                                            cell(h, "idle", s, "extra_req_ms"),
                                            cell(h, "idle", s, "extra_req_ms_none_held")]) + " |")
        lines.append("")
    slow_rows = [(sc, s) for sc in SLOW for s in present if get(h, sc, s, "held") is not None]
    if slow_rows:
        lines += ["Slow clients (bench/slow-clients.py): stalled handshakes (a ClientHello, then nothing), half-sent",
                  "request heads, or downloads whose client stopped reading (4 KiB receive buffer), held; meanwhile",
                  "20 fresh clients one after the other, each a new connection (handshake and 1 KiB) by curl. Every",
                  "server with nginx's timeouts (60 s for the handshake, the head and a stalled send).", "",
                  "| scenario | server | held | fresh: median ms | fresh: worst ms | refused | threads |",
                  "|---|---|---|---|---|---|---|"]
        for sc, s in slow_rows:
            lines.append("| " + " | ".join([SLOW[sc], s, cell(h, sc, s, "held", 6),
                                            cell(h, sc, s, "fresh_median_ms"), cell(h, sc, s, "fresh_max_ms"),
                                            cell(h, sc, s, "refused"), cell(h, sc, s, "threads")]) + " |")
        lines.append("")
    e_sizes = sorted({k[1] for k in median if k[0] == h and k[1].startswith("e-")})
    if e_sizes:
        lines += ["### (e) the original's comparison: one download, MB/s", "",
                  "| file | sendfile, kernel TLS | write, kernel TLS | user-space records |", "|---|---|---|---|"]
        for e in e_sizes:
            label = e[2:].replace("cMiB.bin", "")
            lines.append(f"| {int(label) / 100:.2f} MiB | " + " | ".join(
                cell(h, e, s, "MBps") for s in ("ktls-kernel", "ktls-kernel-write", "ktls-userspace")) + " |")
        lines.append("")


def slow_targets(h, ours, theirs):
    """The issue's bar for slow clients: fresh clients at most nginx's time + 50 ms (median and
    worst, medians over runs), none refused, fewer than 40 threads."""
    out = []
    for sc, label in SLOW.items():
        for m, what in (("fresh_median_ms", "median"), ("fresh_max_ms", "worst")):
            a, b = get(h, sc, ours, m), get(h, sc, theirs, m)
            if a is None or b is None:
                out.append(f"| {label}: fresh clients' {what} ms, ktls-https / nginx + 50 [{h}] | not measured | "
                           f"≤ nginx + 50 | |")
                continue
            out.append(f"| {label}: fresh clients' {what} ms, ktls-https / nginx + 50 [{h}] | {a:.3g} / {b + 50:.3g} |"
                       f" ≤ nginx + 50 | {'met' if a <= b + 50 else 'short'} |")
        refused, threads = get(h, sc, ours, "refused"), get(h, sc, ours, "threads")
        if refused is not None:
            out.append(f"| {label}: fresh clients refused, ktls-https [{h}] | {refused:.0f} | 0 |"
                       f" {'met' if refused == 0 else 'short'} |")
        if threads is not None:
            out.append(f"| {label}: ktls-https threads while held [{h}] | {threads:.0f} | < 40 |"
                       f" {'met' if threads < 40 else 'short'} |")
    return out


def absolute(name, h, s, m, goal):
    v = get(h, "idle", s, m)
    if v is None:
        return f"| {name} | not measured | < {goal} | |"
    return f"| {name} | {v:.3g} ({n(h, 'idle', s, m)} runs, median) | < {goal} | {'met' if v < goal else 'short'} |"


def reported(name, rs):
    """A ratio the issue asks to report and shorten, with no number to meet."""
    return f"| {name} | {ratio_text(rs) if rs else 'not measured'} | report | |"


def target(name, rs, goal, better):
    if not rs:
        return f"| {name} | not measured | {goal} | |"
    v = statistics.median(rs)
    ok = v >= goal if better == "higher" else v <= goal
    return f"| {name} | {ratio_text(rs)} | {'≥' if better == 'higher' else '≤'} {goal} | {'met' if ok else 'short'} |"


lines += ["## Ratios and targets", "", "| ratio (median of per-run ratios) | measured | target | |", "|---|---|---|---|"]
k = kernel_harness
R = {}
if k:
    R["a_mbps"] = ratios(k, "a", "ktls-kernel", "nginx-ktls", "MBps")
    R["a_cpu"] = ratios(k, "a", "ktls-kernel", "nginx-ktls", "cpu_s_per_GiB")
    R["a_raw"] = ratios(k, "a", "ktls-kernel", "raw-limit", "MBps")
    R["a_raw_cpu"] = ratios(k, "a", "ktls-kernel", "raw-limit", "cpu_s_per_GiB")
    R["b_mbps"] = ratios(k, "b", "ktls-kernel", "nginx-ktls", "MBps")
    R["b_cpu"] = ratios(k, "b", "ktls-kernel", "nginx-ktls", "cpu_s_per_GiB")
    R["c1_cpu"] = ratios(k, "c-1KiB", "ktls-kernel", "nginx-ktls", "cpu_us_per_req")
    R["c1_rate"] = ratios(k, "c-1KiB", "ktls-kernel", "nginx-ktls", "req_per_s")
    R["c64_rate"] = ratios(k, "c-64KiB", "ktls-kernel", "nginx-ktls", "req_per_s")
    R["dfull_k"] = ratios(k, "d-full", "ktls-kernel", "nginx-ktls", "cpu_us_per_req")
    R["dres_k"] = ratios(k, "d-resumed", "ktls-kernel", "nginx-ktls", "cpu_us_per_req")
    lines += [target(f"(a) throughput, ktls-https kernel / nginx kTLS [{k}]", R["a_mbps"], 1.0, "higher"),
              target(f"(a) CPU s/GiB, ktls-https kernel / nginx kTLS [{k}]", R["a_cpu"], 1.0, "lower"),
              target(f"(a) throughput, ktls-https kernel / raw limit [{k}]", R["a_raw"], 0.9, "higher"),
              target(f"(a) CPU s/GiB, ktls-https kernel / raw limit [{k}]", R["a_raw_cpu"], 1.1, "lower"),
              target(f"(b) throughput, ktls-https kernel / nginx kTLS [{k}]", R["b_mbps"], 1.0, "higher"),
              target(f"(c) CPU per 1 KiB request, ktls-https kernel / nginx kTLS [{k}]", R["c1_cpu"], 1.2, "lower"),
              target(f"(c) 1 KiB req/s, ktls-https kernel / nginx kTLS [{k}]", R["c1_rate"], 0.8, "higher"),
              target(f"(c) 64 KiB req/s, ktls-https kernel / nginx kTLS [{k}]", R["c64_rate"], 0.8, "higher"),
              target(f"(d) CPU per full handshake, ktls-https kernel / nginx kTLS [{k}]", R["dfull_k"], 1.2, "lower"),
              target(f"(d) CPU per resumed handshake, ktls-https kernel / nginx kTLS [{k}]", R["dres_k"], 1.2, "lower"),
              reported(f"(d) first 1,000 handshakes, time, ktls-https kernel / nginx kTLS [{k}]",
                       ratios(k, "d-first", "ktls-kernel", "nginx-ktls", "seconds_to_1000"))]
    R["sys_c_k"] = ratios(k, "c-1KiB", "ktls-kernel", "nginx-ktls", "syscalls_per_req")
    R["sys_d_k"] = ratios(k, "d-full", "ktls-kernel", "nginx-ktls", "syscalls_per_req")
    lines += [target(f"system calls per 1 KiB request, ktls-https kernel / nginx kTLS [{k}]", R["sys_c_k"], 1.0,
                     "lower"),
              target(f"system calls per new connection, ktls-https kernel / nginx kTLS [{k}]", R["sys_d_k"], 1.0,
                     "lower")]
    R["idle_k"] = ratios(k, "idle", "ktls-kernel", "nginx-ktls", "kib_per_conn")
    lines += [target(f"idle: memory per connection, ktls-https kernel / nginx kTLS [{k}]", R["idle_k"], 1.0, "lower"),
              absolute(f"idle: ktls-https threads while they are held [{k}]", k, "ktls-kernel", "threads", 300),
              absolute(f"idle: ktls-https, one more request (ms) [{k}]", k, "ktls-kernel", "extra_req_ms", 100),
              absolute(f"idle: ktls-https, the same with none held (ms) [{k}]", k, "ktls-kernel",
                       "extra_req_ms_none_held", 100),
              absolute(f"idle: nginx kTLS, one more request (ms) [{k}]", k, "nginx-ktls", "extra_req_ms", 100)]
    lines += [target(f"reconnecting clients ({label}): CPU per request, ktls-https kernel / nginx kTLS [{k}]",
                     ratios(k, sc, "ktls-kernel", "nginx-ktls", "cpu_us_per_req"), 1.2, "lower")
              for sc, label in RECONNECT.items()]
    lines += slow_targets(k, "ktls-kernel", "nginx-ktls")
if "host" in harnesses and k != "host":
    R["dfull_h"] = ratios("host", "d-full", "ktls-userspace", "nginx-userspace", "cpu_us_per_req")
    R["dres_h"] = ratios("host", "d-resumed", "ktls-userspace", "nginx-userspace", "cpu_us_per_req")
    R["c1_h"] = ratios("host", "c-1KiB", "ktls-userspace", "nginx-userspace", "cpu_us_per_req")
    R["a_jsse"] = ratios("host", "a", "ktls-userspace", "jsse", "MBps")
    lines += [target("(d) CPU per full handshake, ktls-https / nginx, user space [host]", R["dfull_h"], 1.2, "lower"),
              target("(d) CPU per resumed handshake, ktls-https / nginx, user space [host]", R["dres_h"], 1.2, "lower"),
              reported("(d) first 1,000 handshakes, time, ktls-https / nginx, user space [host]",
                       ratios("host", "d-first", "ktls-userspace", "nginx-userspace", "seconds_to_1000")),
              target("(c) CPU per 1 KiB request, ktls-https / nginx, user space [host]", R["c1_h"], 1.5, "lower"),
              target("(a) throughput, ktls-https --ktls=off / JSSE [host]", R["a_jsse"], 1.0, "higher")]
    R["sys_c_h"] = ratios("host", "c-1KiB", "ktls-userspace", "nginx-userspace", "syscalls_per_req")
    R["sys_d_h"] = ratios("host", "d-full", "ktls-userspace", "nginx-userspace", "syscalls_per_req")
    lines += [target("system calls per 1 KiB request, ktls-https / nginx, user space [host]", R["sys_c_h"], 1.0,
                     "lower"),
              target("system calls per new connection, ktls-https / nginx, user space [host]", R["sys_d_h"], 1.0,
                     "lower")]
    R["idle_h"] = ratios("host", "idle", "ktls-userspace", "nginx-userspace", "kib_per_conn")
    lines += [target("idle: memory per connection, ktls-https / nginx, user space [host]", R["idle_h"], 1.5, "lower"),
              absolute("idle: ktls-https threads while they are held [host]", "host", "ktls-userspace", "threads", 300),
              absolute("idle: ktls-https, one more request (ms) [host]", "host", "ktls-userspace", "extra_req_ms",
                       100)]
    lines += [target(f"reconnecting clients ({label}): CPU per request, ktls-https / nginx, user space [host]",
                     ratios("host", sc, "ktls-userspace", "nginx-userspace", "cpu_us_per_req"), 1.2, "lower")
              for sc, label in RECONNECT.items()]
    lines += slow_targets("host", "ktls-userspace", "nginx-userspace")
lines.append("")

if voided:
    lines += ["## Void runs", "", "| harness | scenario | server | run | why |", "|---|---|---|---|---|"]
    for (h, sc, s, r), why in sorted(voided.items()):
        lines.append(f"| {h} | {sc} | {s} | {r} | {why} |")
    lines.append("")

# Plots: throughput (a, b) and request rates (c, d) per server, kernel harness first.
plots = []
for h in harnesses:
    present = [s for s in SERVERS if any(kk[0] == h and kk[2] == s for kk in median)]
    for name, metric, scenarios, ylabel in (
            ("throughput", "MBps", ["a", "b"], "MB/s (median)"),
            ("requests", "req_per_s", ["c-1KiB", "c-64KiB", "d-full", "d-resumed"], "requests/s (median)")):
        rows = [s for s in present if any(get(h, sc, s, metric) is not None for sc in scenarios)]
        if not rows:
            continue
        data = os.path.join(src, f"{name}-{h}.dat")
        with open(data, "w") as f:
            labels = {"a": "(a) 1 x 64 MiB", "b": "(b) 8 x 16 MiB", "c-1KiB": "(c) 1 KiB keep-alive",
                      "c-64KiB": "(c) 64 KiB keep-alive", "d-full": "(d) full TLS 1.2 handshakes",
                      "d-resumed": "(d) resumed TLS 1.2 handshakes"}
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

profiles = [n for n in ("keepalive", "handshake") if os.path.exists(os.path.join(src, f"profile-{n}.txt"))]
if profiles:
    lines += ["## Where our CPU goes (profiles)", "",
              "async-profiler 4.2 on ktls-https alone, host kernel, user-space records, after a warm-up",
              "(how long: the last line of each file)",
              "(scripts/bench-profile.sh): keep-alive 1 KiB requests (TLS 1.3) and full TLS 1.2 handshakes",
              "with one 1 KiB request each. Shares are inclusive (a sample counts in every group one of",
              "its frames belongs to); the top frames are in the files named, and the whole stacks (for",
              "flame graph tools) in target/bench/profile-*.collapsed after a run: about 1 MB, not kept here.", ""]
    for n in profiles:
        shutil.copy(os.path.join(src, f"profile-{n}.txt"), os.path.join(out, f"profile-{n}.txt"))
        text = open(os.path.join(src, f"profile-{n}.txt")).read()
        shares = text.split("## Shares (inclusive)", 1)[-1].split("##", 1)[0].strip("\n")
        lines += [f"[profile-{n}.txt](profile-{n}.txt), " + text.splitlines()[0].lstrip("# ") + ":", "", "```",
                  shares, "```", ""]

lines += ["## What these numbers mean", "",
          "- Absolute numbers from a shared 2-core machine are noise; the ratios within a run are",
          "  the result.",
          "- In the UML test kernel, kernel crypto is generic C with no AES-NI, and everything",
          "  (server, client, kernel) shares one CPU; UML also accounts the guest kernel's work to",
          "  the process, so no user/system split is reported there. Kernel-versus-kernel ratios",
          "  (ktls-https vs nginx kTLS vs the raw limit) are fair; kernel-versus-user-space ratios",
          "  do not predict real hardware.",
          "- One 64 MiB download's CPU per GiB in UML can differ by half between runs of the same",
          "  server: a difference in (a) between two benches is not a change in the code until a",
          "  same-run A/B of the two builds shows it (BENCH_AB_JAR in scripts/bench-run.sh, then",
          "  scripts/ab-report.py; one is in ab-download-uml.txt).",
          "- For small work (requests, handshakes) the rate is often bound by the load generator;",
          "  server CPU per unit (utime + stime of all the server's threads, /proc/PID/stat,",
          "  divided by the requests wrk completed) is the headline.",
          "- JSSE takes part in the download and keep-alive scenarios only: its session cache and",
          "  tickets cannot be set to match the handshake scenarios, and it reports nothing of what",
          "  it negotiated (it is pinned to one protocol and suite on its side).",
          "- On a machine whose kernel has kernel TLS, the same `make bench` runs everything on",
          "  the host kernel and gives real numbers.", ""]
with open(os.path.join(out, "README.md"), "w") as f:
    f.write("\n".join(lines))

# The README's benchmark paragraph, from these numbers only.
summary = []
if k:
    summary.append(f"In the last `make bench` ({k} kernel for the kernel-TLS servers), with every server "
                   "pinned to the same TLS setup and every run checked against the servers' own counters: "
                   f"one 64 MiB download by ktls-https with kernel TLS ran at {ratio_text(R.get('a_mbps'))} "
                   f"times nginx's kTLS throughput and {ratio_text(R.get('a_raw'))} times the raw sendfile limit, "
                   f"at {ratio_text(R.get('a_cpu'))} times nginx's server CPU per GiB; eight concurrent 16 MiB "
                   f"downloads at {ratio_text(R.get('b_mbps'))} times nginx's throughput.")
    summary.append(f"Small work: server CPU per 1 KiB keep-alive request is {ratio_text(R.get('c1_cpu'))} "
                   f"times nginx's, per full TLS 1.2 handshake {ratio_text(R.get('dfull_k'))} times, per resumed "
                   f"handshake {ratio_text(R.get('dres_k'))} times.")
if "host" in harnesses and k != "host":
    summary.append(f"On the host (user-space records on both sides): CPU per full handshake "
                   f"{ratio_text(R.get('dfull_h'))} times nginx's, per resumed handshake "
                   f"{ratio_text(R.get('dres_h'))} times, per 1 KiB request {ratio_text(R.get('c1_h'))} times; "
                   f"`--ktls=off` downloads at {ratio_text(R.get('a_jsse'))} times the JSSE baseline.")
idle = []
if k and R.get("idle_k"):
    idle.append(f"{get(k, 'idle', 'ktls-kernel', 'held'):.0f} idle connections with kernel TLS ({k}) cost "
                f"{ratio_text(R.get('idle_k'))} times nginx's memory per connection, with "
                f"{get(k, 'idle', 'ktls-kernel', 'threads'):.0f} threads")
if "host" in harnesses and k != "host" and R.get("idle_h"):
    idle.append(f"{get('host', 'idle', 'ktls-userspace', 'held'):.0f} on the host in user space "
                f"{ratio_text(R.get('idle_h'))} times, with {get('host', 'idle', 'ktls-userspace', 'threads'):.0f} threads"
                f" and one more request answered in {get('host', 'idle', 'ktls-userspace', 'extra_req_ms'):.0f} ms")
if idle:
    summary.append("Held open and idle, " + "; ".join(idle) + ".")
slow = []
for h, ours, theirs in ((k, "ktls-kernel", "nginx-ktls"), ("host", "ktls-userspace", "nginx-userspace")):
    if not h or (h == "host" and k == "host" and ours == "ktls-userspace"):
        continue
    parts = []
    for sc, label in SLOW.items():
        a, b, held = get(h, sc, ours, "fresh_max_ms"), get(h, sc, theirs, "fresh_max_ms"), get(h, sc, ours, "held")
        if a is not None and b is not None and held is not None:
            parts.append(f"{held:.0f} {label}: worst {a:.0f} ms (nginx {b:.0f} ms)")
    if parts:
        slow.append(f"{h}: " + ", ".join(parts) + f", with {get(h, 's-heads', ours, 'threads') or 0:.0f} threads")
if slow:
    summary.append("A fresh client's new connection while slow clients are held; " + "; ".join(slow) + ".")
reconnect = []
for h, ours, theirs in ((k, "ktls-kernel", "nginx-ktls"), ("host", "ktls-userspace", "nginx-userspace")):
    if not h or (h == "host" and k == "host" and ours == "ktls-userspace"):
        continue
    parts = [f"{label} {ratio_text(ratios(h, sc, ours, theirs, 'cpu_us_per_req'))}"
             for sc, label in RECONNECT.items() if ratios(h, sc, ours, theirs, "cpu_us_per_req")]
    if parts:
        reconnect.append(f"{h}: " + ", ".join(parts))
if reconnect:
    summary.append("Reconnecting clients (a new connection per request, resuming), CPU per request as times "
                   "nginx's: " + "; ".join(reconnect) + ".")
if voided:
    summary.append(f"{len(voided)} run(s) were void and left out (docs/benchmarks/void-runs.csv).")
text = " ".join(summary)
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write(text + "\n")
if readme and os.path.exists(readme):
    body = open(readme).read()
    start, end = "<!-- bench:summary:start -->", "<!-- bench:summary:end -->"
    if start in body and end in body:
        import textwrap
        wrapped = "\n".join(textwrap.wrap(text, 90))
        body = body[:body.index(start) + len(start)] + "\n" + wrapped + "\n" + body[body.index(end):]
        with open(readme, "w") as f:
            f.write(body)
print("\n".join(lines))
print("\nsummary: " + text)
