#!/usr/bin/env bash
# One benchmark pass on the current kernel; called by scripts/bench.sh (directly, or
# inside the test kernel). Appends rows to target/bench/results.csv:
#   harness,scenario,server,run,metric,value
# and, for a run that does not count, a row with metric "void" and the reason in
# target/bench/void.csv (harness,scenario,server,run,reason).
# Usage: scripts/bench-run.sh HARNESS all|userspace
#
# Every server gets the same TLS setup in each group of scenarios, pinned on the server
# side (so wrk, which cannot pin, gets it too), and what each server really negotiated is
# read back from the server itself (our /server-status, nginx's $ssl_* log variables) and
# checked: a run whose handshakes differ (in kind, or in number from the client's count),
# whose kernel-TLS server did not use the kernel (/proc/net/tls_stat, our fallback
# counters), whose user-space server did, whose counters could not be read, or whose
# client saw an error is void.
#   dl  TLS 1.3, TLS_AES_256_GCM_SHA384, X25519: downloads (a, b), keep-alive (c), (e)
#   hsf TLS 1.2, ECDHE-ECDSA-AES256-GCM-SHA384, X25519, resumption off: full handshakes
#   hsr the same with TLS 1.2 session IDs on (tickets off everywhere): resumed handshakes
#   (hsf also times each fresh server's first 1,000 handshakes, before its warm-up: d-first)
#   idle as dl: BENCH_IDLE connections (2,000 with kernel TLS, 10,000 on the host in user
#        space) each make one request and stay open; memory per connection (RSS growth,
#        once settled and at once), threads, and the time of one more request while they
#        are held. Kernel-TLS servers
#        only in the kernel harness, user-space ones only on the host. Both servers keep
#        idle connections 5 minutes (nginx keepalive_timeout, our --idle-timeout) and run
#        with their default limits otherwise (JVM flags included).
#   rc13, rc12, rc13rsa, rc12rsa: reconnecting clients (r-13, r-12, r-13rsa, r-12rsa): a new
#        connection per 1 KiB request (wrk, Connection: close), wrk offering each
#        connection's last session; TLS 1.3 or 1.2, P-256 or RSA-2048 certificate; every
#        server with its own defaults for resumption (ours: session IDs and tickets;
#        nginx: tickets); void unless 90 % resumed, as each server reports it
#   slow as idle's servers: stalled handshakes, half-sent heads or stalled downloads held
#        while 20 fresh clients each make a new connection (measure_slow)
# BENCH_GROUPS (default "dl hsf hsr rc13 rc12 rc13rsa rc12rsa idle slow") picks groups. BENCH_KTLS_OPTS adds options to
# our server's command line, for an A/B check (e.g. "--native-crypto off"). For an A/B
# check of two builds in one run, BENCH_AB_JAR names another build's jar (with its lib/
# beside it): it runs as server ktls-kernel-ab, set up as ktls-kernel. BENCH_SERVERS (e.g.
# "ktls-kernel ktls-kernel-ab nginx-ktls") runs only those servers.
# TLS 1.2 for hsf and hsr (session IDs, tickets off everywhere), as before TLS 1.3 tickets
# existed here, so that their results compare across commits; the rc groups cover TLS 1.3.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=$1
set_=$2
B=target/bench
CSV=$B/results.csv
VOID=$B/void.csv
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-5}
HS_WARMUP=${BENCH_HANDSHAKE_WARMUP:-20000}
HS_WARMUP_CAP=${BENCH_HANDSHAKE_WARMUP_CAP:-300}
KA_WARMUP=${BENCH_REQUEST_WARMUP:-20000}
JAVA_OPTS=(-Xmx256m -Xms64m)
export LC_ALL=C

log() { echo "bench[$harness]: $*" >&2; }
row() { echo "$harness,$1,$2,$3,$4,$5" >> "$CSV"; }
void() { echo "$harness,$1,$2,$3,$4" >> "$VOID"; row "$1" "$2" "$3" void 1; log "VOID $1 $2 run $3: $4"; }

if [ "$set_" = all ]; then
  SERVERS=(ktls-kernel ktls-userspace jsse nginx-ktls nginx-userspace)
else
  SERVERS=(ktls-userspace jsse nginx-userspace)
fi
[ -n "${BENCH_AB_JAR:-}" ] && [ "$set_" = all ] && SERVERS+=(ktls-kernel-ab)
[ -n "${BENCH_SERVERS:-}" ] && read -r -a SERVERS <<< "$BENCH_SERVERS"

declare -A PORT=( [ktls-kernel]=8441 [ktls-userspace]=8442 [jsse]=8443 [nginx-ktls]=8444 [nginx-userspace]=8445
                  [ktls-kernel-write]=8446 [ktls-kernel-ab]=8447 )
declare -A PIDS
declare -A WARMED   # handshakes each server did in its warm-up (handshake groups)

# --- servers, per group ------------------------------------------------------------
# The certificate of a group: RSA-2048 for the reconnect groups that name it, P-256 otherwise.
cert_of() { case $1 in *rsa) echo certs/rsa-cert.pem ;; *) echo certs/cert.pem ;; esac; }
key_of() { case $1 in *rsa) echo certs/rsa-key.pem ;; *) echo certs/key.pem ;; esac; }

start_ktls() { # name group extra-args...
  local name=$1 group=$2; shift 2
  # --session-tickets off: nginx here runs with ssl_session_tickets off (no NewSessionTicket to send)
  local pin=(--tls 1.3 --ciphers AES_256_GCM --session-tickets off) jvm=("${JAVA_OPTS[@]}") limits=(--max-connections 64)
  local jar=target/ktls-https.jar
  [ "$name" = ktls-kernel-ab ] && jar=$BENCH_AB_JAR
  case $group in
    hsf) pin=(--tls 1.2 --ciphers AES_256_GCM --session-cache 0) ;;
    hsr) pin=(--tls 1.2 --ciphers AES_256_GCM --session-tickets off) ;;   # session IDs, as nginx here
    # Reconnecting clients: our defaults (session IDs and tickets), nginx's (tickets).
    rc13*) pin=(--tls 1.3 --ciphers AES_256_GCM) ;;
    rc12*) pin=(--tls 1.2 --ciphers AES_256_GCM) ;;
    idle) jvm=(); limits=(--idle-timeout 5m) ;;   # default flags otherwise, JVM included
    # nginx's defaults: client_header_timeout (its handshake's too) and send_timeout 60 s.
    slow) jvm=(); limits=(--handshake-timeout 60s --header-timeout 60s --idle-timeout 60s) ;;
  esac
  if [ "$name" = ktls-kernel-ab ] && ! java -jar "$jar" --help 2>&1 | grep -q -- --session-tickets; then
    local kept=() i   # a build from before tickets has none: drop "--session-tickets off"
    for ((i = 0; i < ${#pin[@]}; i++)); do
      if [ "${pin[i]}" = --session-tickets ]; then i=$((i + 1)); else kept+=("${pin[i]}"); fi
    done
    pin=("${kept[@]}")
  fi
  java "${jvm[@]}" -jar "$jar" --port "${PORT[$name]}" --bind 127.0.0.1 --root $B/www \
    --cert "$(cert_of "$group")" --key "$(key_of "$group")" --access-log off --log-level warn "${limits[@]}" \
    "${pin[@]}" ${BENCH_KTLS_OPTS:-} "$@" > "$B/$name-$group.log" 2>&1 &
  PIDS[$name]=$!
}

start_nginx() { # name group ktls(on|off)
  local name=$1 group=$2 ktls=$3 dir=$B/$1-$2
  mkdir -p "$dir"
  local opts="" tls="ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384;"
  local sessions="ssl_session_cache off; ssl_session_tickets off;"
  local connections=1024 nofile="" keepalive="" status=""
  [ "$ktls" = on ] && opts="ssl_conf_command Options KTLS;"
  { [ "$group" = hsf ] || [ "$group" = hsr ]; } && tls="ssl_protocols TLSv1.2; ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384;"
  if [ "$group" = idle ]; then
    connections=$((IDLE + 1024)); nofile="worker_rlimit_nofile $((2 * IDLE + 2048));"
    keepalive="keepalive_timeout 300s;"; status="location = /nginx-status { stub_status; }"
  fi
  if [ "$group" = slow ]; then   # its other timeouts stay at their defaults (60 s)
    connections=$((SLOW + 1024)); nofile="worker_rlimit_nofile $((2 * SLOW + 2048));"
    keepalive="keepalive_timeout 60s;"; status="location = /nginx-status { stub_status; }"
  fi
  [ "$group" = hsr ] && sessions="ssl_session_cache shared:SSL:10m; ssl_session_timeout 5m; ssl_session_tickets off;"
  case $group in   # reconnecting clients: nginx's defaults (no session cache, tickets on)
    rc13*) sessions="" ;;
    rc12*) sessions=""
           tls="ssl_protocols TLSv1.2; ssl_ciphers ECDHE-$([ "${group%rsa}" != "$group" ] && echo RSA || echo ECDSA)-AES256-GCM-SHA384;" ;;
  esac
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
$nofile
daemon off;
pid $PWD/$dir/nginx.pid;
error_log $PWD/$dir/error.log warn;
events { worker_connections $connections; }
http {
  # What each connection negotiated, logged once per connection (its first request).
  map \$connection_requests \$first_request { 1 1; default 0; }
  log_format tls '\$ssl_protocol \$ssl_cipher \$ssl_curve \$ssl_session_reused \$status';
  access_log $PWD/$dir/tls.log tls buffer=64k flush=1s if=\$first_request;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  $keepalive
  server {
    listen 127.0.0.1:${PORT[$name]} ssl;
    ssl_certificate $PWD/$(cert_of "$group");
    ssl_certificate_key $PWD/$(key_of "$group");
    ssl_ecdh_curve X25519;
    $tls
    $sessions
    $opts
    root $PWD/$B/www;
    $status
  }
}
NGINX
  nginx -c "$PWD/$dir/nginx.conf" -p "$PWD/$dir" > "$dir/out.log" 2>&1 &
  PIDS[$name]=$!
}

start_group() { # group
  local group=$1 s
  PIDS=()
  for s in "${SERVERS[@]}"; do
    if [ "$group" = idle ] || [ "$group" = slow ]; then   # kernel TLS in the kernel harness, user space on the host
      case $s in jsse) continue ;; ktls-userspace|nginx-userspace) [ "$set_" = all ] && continue ;; esac
    fi
    case $s in
      ktls-kernel|ktls-kernel-ab) start_ktls $s "$group" --ktls=required ;;
      ktls-userspace) start_ktls $s "$group" --ktls=off ;;
      jsse) [ "$group" = dl ] && { java "${JAVA_OPTS[@]}" -cp target/test-classes io.ktlshttps.bench.JsseFileServer \
              ${PORT[$s]} $B/www certs/cert.pem certs/key.pem TLSv1.3 TLS_AES_256_GCM_SHA384 > $B/jsse.log 2>&1 &
              PIDS[$s]=$!; } ;;
      nginx-ktls) start_nginx $s "$group" on ;;
      nginx-userspace) start_nginx $s "$group" off ;;
    esac
  done
  if [ "$set_" = all ] && [ "$group" = dl ] && [[ " ${SERVERS[*]} " == *" ktls-kernel "* ]]; then
    start_ktls ktls-kernel-write dl --ktls=required --sendfile=off
  fi
  for s in "${!PIDS[@]}"; do
    for i in $(seq 600); do curl -sk -m 5 -o /dev/null "$(url "$s" f1k.bin)" && break; sleep 0.2; done
  done
}

stop_group() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}
trap stop_group EXIT

url() { echo "https://127.0.0.1:${PORT[$1]}/$2"; }
in_group() { [ -n "${PIDS[$1]:-}" ]; }

# --- what the servers say ------------------------------------------------------------
# CPU ticks (1/100 s) of a server, all threads (the JVM, or nginx's master and worker).
cpu_of() {
  local pid=$1 t=0 p
  for p in $pid $(pgrep -P "$pid" 2>/dev/null); do
    [ -r /proc/$p/stat ] || continue
    t=$(awk -v t="$t" '{ sub(/^.*\) /, ""); print t + $12 + $13 }' /proc/$p/stat)
  done
  echo "$t"
}

# Kernel TLS transmit sessions opened so far. 0 where the kernel has no kernel TLS at all
# (no /proc/net/tls_stat, as on a host without the tls module): nothing can have used it.
tls_tx() { awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat 2>/dev/null || echo 0; }

# Our own counters, as "name{labels} value" lines without comments; nothing (and a
# failure) if the page did not come, so that a failed read is never taken for zeros.
status_of() {
  local page
  page=$(curl -sfk -m 10 "$(url "$1" server-status)") || return 1
  echo "$page" | grep -v '^#'
}

# A snapshot of what a server has done: for ours its status page, for nginx the size of
# its per-connection TLS log. A snapshot that could not be taken is left empty, and
# check_run voids the run: an empty one would otherwise read as "no handshakes, no
# fallbacks" and pass.
snapshot() { # server file
  case $1 in
    ktls-*) status_of "$1" > "$2" || : > "$2" ;;
    nginx-*) sleep 1.2; stat -c %s "$B/$1-$group/tls.log" > "$2" 2>/dev/null || : > "$2" ;;
    *) : > "$2" ;;
  esac
}

# Checks what happened between two snapshots; prints nothing if the run counts, else the
# reason. Expected: both snapshots taken; the group's version, cipher and group; the kind
# of handshake; as many handshakes as the client says it made connections, MIN to MAX
# (the caller states its tolerance); for a kernel server that it carried every
# connection, and for a user-space one that the kernel opened no TLS session
# (/proc/net/tls_stat's TlsTxSw did not move: the servers are measured one at a time).
check_run() { # server before after tx_before tx_after expect_kind(full|resumed|any) min max
  local s=$1 before=$2 after=$3 tx0=$4 tx1=$5 kind=$6 min=$7 max=$8
  local version=TLSv1.3 cipher=AES_256_GCM ncipher=TLS_AES_256_GCM_SHA384
  if [ "$group" = hsf ] || [ "$group" = hsr ] || [ "$group" = rc12 ]; then
    version=TLSv1.2; ncipher=ECDHE-ECDSA-AES256-GCM-SHA384
  fi
  if [ "$group" = rc12rsa ]; then version=TLSv1.2; ncipher=ECDHE-RSA-AES256-GCM-SHA384; fi
  case $s in
    ktls-*)
      python3 - "$before" "$after" "$version" "$cipher" "$kind" "$s" "$((tx1 - tx0))" "$min" "$max" <<'PY' || echo "the check itself failed (see stderr)"
import re, sys
before, after, version, cipher, kind, server, tx, lo, hi = sys.argv[1:10]
def read(path):
    out = {}
    for line in open(path):
        m = re.match(r'(\S+?)(\{.*\})? (\S+)$', line.strip())
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out
b, a = read(before), read(after)
for name, snap in (("before", b), ("after", a)):
    if ("ktls_https_connections_total", '{mode="kernel"}') not in snap:
        print(f"/server-status could not be read ({name} the run)"); sys.exit()
d = {k: a.get(k, 0) - b.get(k, 0) for k in a}
# The status request that took the "after" snapshot is one full handshake of its own.
neg = {k[1]: v for k, v in d.items() if k[0] == "ktls_https_negotiated_total" and v > 0}
full = resumed = 0
for labels, v in neg.items():
    want = f'version="{version}",cipher="{cipher}"'
    if want not in labels:
        print(f"negotiated {labels} x{v:.0f}, not {version} {cipher}"); sys.exit()
    group = re.search(r'group="([^"]*)"', labels).group(1)
    if "kind=\"resumed\"" in labels:
        resumed += v
    else:
        full += v
        if group != "x25519":
            print(f"key exchange {group}, not x25519"); sys.exit()
full -= 1
if not int(lo) <= full + resumed <= int(hi):
    print(f"{full + resumed:.0f} handshakes on the server, the client made {lo} to {hi}"); sys.exit()
if kind == "full" and resumed > 0:
    print(f"{resumed:.0f} resumed handshakes in the full-handshake scenario"); sys.exit()
if kind == "resumed" and resumed < 0.9 * (resumed + full):
    print(f"only {resumed:.0f} of {resumed + full:.0f} handshakes resumed"); sys.exit()
kernel = d.get(("ktls_https_connections_total", '{mode="kernel"}'), 0)
user = d.get(("ktls_https_connections_total", '{mode="userspace"}'), 0)
fallbacks = sum(v for k, v in d.items() if k[0] == "ktls_https_kernel_fallbacks_total")
if server.startswith("ktls-kernel"):
    if user > 0 or fallbacks > 0:
        print(f"{user:.0f} connections in user space, {fallbacks:.0f} fallbacks"); sys.exit()
    if int(tx) < kernel - 1:
        print(f"TlsTxSw moved by {tx} for {kernel:.0f} kernel connections"); sys.exit()
elif kernel > 0:
    print(f"{kernel:.0f} kernel connections on a user-space server"); sys.exit()
elif int(tx) != 0:
    print(f"TlsTxSw moved by {tx} on a user-space server: the kernel carried TLS")
PY
      ;;
    nginx-*)
      local from to
      from=$(cat "$before"); to=$(cat "$after")
      python3 - "$B/$s-$group/tls.log" "$from" "$to" "$version" "$ncipher" "$kind" "$s" "$((tx1 - tx0))" \
        "$min" "$max" <<'PY' || echo "the check itself failed (see stderr)"
import sys
path, start, end, version, cipher, kind, server, tx, lo, hi = sys.argv[1:11]
if not start or not end:
    print("nginx's TLS log could not be read"); sys.exit()
with open(path, "rb") as f:
    f.seek(int(start))
    lines = f.read(int(end) - int(start)).decode().split("\n")
lines = [l.split() for l in lines if l.strip()]
if not lines:
    print("nginx logged no connection"); sys.exit()
if not int(lo) <= len(lines) <= int(hi):
    print(f"nginx logged {len(lines)} connections, the client made {lo} to {hi}"); sys.exit()
resumed = 0
for l in lines:
    if l[0] != version or l[1] != cipher or l[2].lower() != "x25519":
        print("negotiated " + " ".join(l[:3]) + f", not {version} {cipher} X25519"); sys.exit()
    resumed += l[3] == "r"
if kind == "full" and resumed:
    print(f"{resumed} resumed handshakes in the full-handshake scenario"); sys.exit()
if kind == "resumed" and resumed < 0.9 * len(lines):
    print(f"only {resumed} of {len(lines)} handshakes resumed"); sys.exit()
if server == "nginx-ktls" and int(tx) < len(lines):
    print(f"TlsTxSw moved by {tx} for {len(lines)} connections: kernel TLS was not used"); sys.exit()
if server == "nginx-userspace" and int(tx) != 0:
    print(f"TlsTxSw moved by {tx} on nginx without KTLS: the kernel carried TLS")
PY
      ;;
  esac
}

# A field of /proc/PID/status summed over a server's processes (the JVM, or nginx's master
# and worker): VmRSS (KiB), Threads.
status_sum() { # pid field
  local t=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null); do
    t=$((t + $(awk -v f="$2:" '$1 == f {print $2}' /proc/$p/status 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# The JVM's heap in use after a full collection (KiB): what it retains, garbage aside.
heap_after_gc() { # pid
  jcmd "$1" GC.run > /dev/null 2>&1 || return 0
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/ heap .*total .*used / {
    for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); print v; exit } }'
}

# A new connection (handshake and 1 KiB) by curl, the same for every server: prints its
# time in seconds, or fails (--fail: an HTTP error too; a refused connection takes well
# under a millisecond and would pass for a fast answer).
fresh_request() { # server
  curl -sk --fail -m 30 --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384 --curves X25519 -o /dev/null \
    -w '%{time_total}' "$(url "$1" f1k.bin)"
}

# Waits until a client script (idle-clients.py, slow-clients.py) prints its "held" line
# to OUT, or ends, for up to 15 minutes.
await_held() { # out pid
  local i
  for i in $(seq 1800); do
    grep -q '^held' "$1" 2>/dev/null && return
    kill -0 "$2" 2>/dev/null || return
    sleep 0.5
  done
}

# One more request (a new connection: handshake and 1 KiB), in seconds: the median of 5
# curls. Each must succeed (--fail: an HTTP error too): a refused connection takes well
# under a millisecond and would pass for a fast answer. Prints nothing and fails if one
# did not.
one_more_request() { # server
  local i t times=()
  for i in 1 2 3 4 5; do
    t=$(fresh_request "$1") || { log "one more request to $1 failed (curl $?)"; return 1; }
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

# Our heap in use, KiB, from /server-status (garbage included: read it after a collection).
heap_in_use() { # server; nothing if the page could not be read
  { status_of "$1" || true; } | awk '$1 == "ktls_https_jvm_heap_bytes{state=\"used\"}" {printf "%d\n", $2 / 1024}'
}

# Connections a server says it holds: our gauge, nginx's stub_status; nothing if the page
# could not be read (the caller voids the run).
held_by() {
  case $1 in
    ktls-*) { status_of "$1" || true; } | awk '$1 == "ktls_https_connections_active" {print $2}' ;;
    nginx-*) { curl -sfk -m 10 --tlsv1.3 "$(url "$1" nginx-status)" || true; } | awk '/^Active connections/ {print $3}' ;;
  esac
}

# --- measurements ------------------------------------------------------------------
measure_download() { # scenario server run file count
  local sc=$1 s=$2 run=$3 file=$4 n=$5 c0 c1 t0 t1 tx0 tx1 bytes gib clients=() i failed=0 why
  snapshot "$s" $B/before; tx0=$(tls_tx)
  c0=$(cpu_of "${PIDS[$s]}"); t0=$(date +%s.%N)
  for i in $(seq "$n"); do
    curl -sk -m 600 --fail --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384 --curves X25519 -o /dev/null \
      "$(url "$s" "$file")" & clients+=($!)
  done
  for i in "${clients[@]}"; do wait "$i" || failed=1; done
  t1=$(date +%s.%N); c1=$(cpu_of "${PIDS[$s]}"); tx1=$(tls_tx)
  snapshot "$s" $B/after
  if [ $failed = 1 ]; then void "$sc" "$s" "$run" "a curl download failed"; return; fi
  # n curls, one connection each: exactly n handshakes.
  why=$(check_run "$s" $B/before $B/after "$tx0" "$tx1" any "$n" "$n")
  if [ -n "$why" ]; then void "$sc" "$s" "$run" "$why"; return; fi
  bytes=$(( $(stat -c %s $B/www/$file) * n ))
  gib="($bytes / 1073741824)"
  row "$sc" "$s" "$run" MBps "$(echo "$bytes / ($t1 - $t0) / 1000000" | bc -l)"
  row "$sc" "$s" "$run" cpu_s_per_GiB "$(echo "($c1 - $c0) / 100 / $gib" | bc -l)"
}

# The handshakes a server should have done for wrk runs (1 thread, 8 connections each),
# as "MIN MAX": with "Connection: close", one per request wrk counted, plus up to 8 per
# run that wrk stopped in flight (handshake done, answer not counted); with keep-alive,
# up to its 8 connections per run, plus 8 per run for any it reopened, and at least one
# per run (in UML under strace a server did 14 handshakes in two 1 s runs: wrk stopped
# before the last ones were done, and does not count that as an error). More or fewer
# means the server's counters and wrk's disagree, and the run is void.
wrk_handshakes() { # requests runs [wrk header...]
  local requests=$1 runs=$2
  shift 2
  if [[ " $* " == *"Connection: close"* ]]; then
    echo "$requests $((requests + 8 * runs))"
  else
    echo "$runs $((16 * runs))"
  fi
}

# wrk, 1 thread, 8 connections; with "close" a new connection (handshake) per request.
wrk_run() { # scenario server run file kind(full|resumed|any) [header...]
  local sc=$1 s=$2 run=$3 file=$4 kind=$5 out c0 c1 tx0 tx1 requests why
  shift 5
  snapshot "$s" $B/before; tx0=$(tls_tx); c0=$(cpu_of "${PIDS[$s]}")
  out=$(wrk -t1 -c8 -d"${DURATION}s" --latency "$@" "$(url "$s" "$file")" 2>&1)
  c1=$(cpu_of "${PIDS[$s]}"); tx1=$(tls_tx)
  snapshot "$s" $B/after
  if echo "$out" | grep -q -E "Non-2xx|Socket errors"; then
    void "$sc" "$s" "$run" "wrk: $(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"; return
  fi
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  if [ -z "$requests" ] || [ "$requests" = 0 ]; then
    void "$sc" "$s" "$run" "wrk reported no requests: $(echo "$out" | tr '\n,' '  ' | head -c 200)"; return
  fi
  why=$(check_run "$s" $B/before $B/after "$tx0" "$tx1" "$kind" $(wrk_handshakes "$requests" 1 "$@"))
  if [ -n "$why" ]; then void "$sc" "$s" "$run" "$why"; return; fi
  row "$sc" "$s" "$run" req_per_s "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  row "$sc" "$s" "$run" p50_ms "$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)"
  row "$sc" "$s" "$run" p99_ms "$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)"
  # Server CPU per unit of work: microseconds per request (per handshake, with "close").
  row "$sc" "$s" "$run" cpu_us_per_req "$(echo "($c1 - $c0) * 10000 / $requests" | bc -l)"
}
# System calls per unit of work: strace -f -c on the server (every JVM thread, JIT and GC
# included; nginx's worker) over two wrk runs, after the measured ones: 1 s and 4 s, each
# with its own 8 new connections. The count per unit is the difference between the two
# runs' calls over the difference of their requests: what each run pays once (its 8
# handshakes, strace attaching) cancels out, and what a server does every so often while
# it serves stays in. (A single traced run put 8 handshakes into a keep-alive count of
# only 100-300 requests in UML, where strace slows every server several times over, and
# so charged the slower server more.) strace slows the server, so only the counts mean
# something, not the times. Both tables are kept in target/bench/strace-*.txt.
# The two traced runs are checked as the measured ones are (check_run), from snapshots
# taken outside the traced time, so that reading the counters costs no traced calls.
measure_syscalls() { # scenario server run [header...]
  local sc=$1 s=$2 run=$3 out tracer requests total pids=() p d calls=() served=() keep tx0 tx1 why
  shift 3
  if ! command -v strace > /dev/null; then void "$sc" "$s" "$run" "no strace"; return; fi
  pids=("${PIDS[$s]}"); case $s in nginx-*) pids=($(pgrep -P "${PIDS[$s]}")) ;; esac
  keep="$B/strace-$harness-$sc-$s.txt"
  : > "$keep"
  snapshot "$s" $B/before; tx0=$(tls_tx)
  for d in 1 4; do
    strace -f -c -o $B/strace.txt $(for p in "${pids[@]}"; do echo -p "$p"; done) 2> $B/strace.err &
    tracer=$!
    sleep 1
    out=$(wrk -t1 -c8 -d${d}s "$@" "$(url "$s" f1k.bin)" 2>&1)
    sleep 0.5; kill -INT $tracer 2>/dev/null || true; wait $tracer 2>/dev/null || true
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    total=$(awk '$NF == "total" {print $4}' $B/strace.txt 2>/dev/null)   # % time, seconds, usecs/call, calls
    if echo "$out" | grep -q -E "Non-2xx|Socket errors" || [ -z "${requests:-}" ] || [ "${requests:-0}" = 0 ] \
        || [ -z "${total:-}" ]; then
      void "$sc" "$s" "$run" "strace or wrk failed: $(head -c 200 $B/strace.err | tr '\n,' '  ')"; return
    fi
    { echo "# $harness $sc $s run $run, wrk ${d}s: $requests requests, $total calls"; cat $B/strace.txt; } >> "$keep"
    calls+=("$total"); served+=("$requests")
  done
  tx1=$(tls_tx); snapshot "$s" $B/after
  if [ "${served[1]}" -le "${served[0]}" ]; then
    void "$sc" "$s" "$run" "the longer traced run served no more requests (${served[*]})"; return
  fi
  why=$(check_run "$s" $B/before $B/after "$tx0" "$tx1" "$([ "$group" = hsf ] && echo full || echo any)" \
    $(wrk_handshakes $((served[0] + served[1])) 2 "$@"))
  if [ -n "$why" ]; then void "$sc" "$s" "$run" "traced runs: $why"; return; fi
  row "$sc" "$s" "$run" syscalls_per_req "$(echo "(${calls[1]} - ${calls[0]}) / (${served[1]} - ${served[0]})" | bc -l)"
}

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } print v }'; }

# IDLE clients connect, make one request each, and stay; then the server's memory and
# threads, the time of one more request (a new connection: handshake and 1 KiB, median of
# 5), and what the server says it holds. Memory is read twice: 2 s after the last client
# got its answer, and once the connections have been idle SETTLE seconds (what they cost
# while they stay; a server may give back what the burst of handshakes grew: ours does
# after --return-heap-after, 15 s by default). The baseline is read after the same
# settling, since the warm-up, for every server.
measure_idle() { # server run
  local s=$1 run=$2 pid=${PIDS[$1]} rss0 rss1 rss_once threads latency holds held failed why tx0 tx1 client i
  local heap0= heap1= latency_empty status_heap0=
  # The same request with none held: what the client alone costs.
  if ! latency_empty=$(one_more_request "$s"); then void idle "$s" "$run" "one more request failed, none held"; return; fi
  sleep "$SETTLE"
  snapshot "$s" $B/before; tx0=$(tls_tx); rss0=$(status_sum "$pid" VmRSS)
  case $s in ktls-*) status_heap0=$(heap_in_use "$s") ;; esac
  python3 bench/idle-clients.py 127.0.0.1 "${PORT[$s]}" "$IDLE" /f1k.bin > $B/idle.out 2> $B/idle.err &
  client=$!
  await_held $B/idle.out $client
  sleep 2
  rss_once=$(status_sum "$pid" VmRSS); threads=$(status_sum "$pid" Threads)
  latency=$(one_more_request "$s") || latency=   # void below, once the clients are gone
  sleep "$SETTLE"
  rss1=$(status_sum "$pid" VmRSS)
  holds=$(held_by "$s")
  case $s in ktls-*) heap1=$(heap_after_gc "$pid") ;; esac
  if [ -z "$heap1" ] && [ -n "$status_heap0" ]; then
    # No jcmd (it cannot attach in UML): the heap in use as the server reports it, read
    # after the settling both times, so after --return-heap-after's full collection.
    heap1=$(heap_in_use "$s"); heap0=$status_heap0
  fi
  tx1=$(tls_tx); snapshot "$s" $B/after
  kill -TERM $client 2>/dev/null || true; wait $client 2>/dev/null || true
  # The baseline of the retained heap: the same server once the clients have gone (a full
  # GC before rss0 would shrink the heap and inflate the RSS growth).
  case $s in ktls-*)
    if [ -z "$heap0" ]; then
      for i in $(seq 60); do [ "$(held_by "$s")" -le 1 ] 2>/dev/null && break; sleep 0.5; done
      heap0=$(heap_after_gc "$pid")
    fi ;;
  esac
  read -r _ held _ failed < $B/idle.out || { held=0; failed=$IDLE; }
  if [ "${held:-0}" != "$IDLE" ] || [ "${failed:-1}" != 0 ]; then
    void idle "$s" "$run" "the clients held ${held:-0} of $IDLE ($(head -c 200 $B/idle.err | tr '\n,' '  '))"; return
  fi
  if [ "${holds:-0}" -lt "$IDLE" ]; then void idle "$s" "$run" "the server says it holds ${holds:-0}"; return; fi
  if [ -z "$latency" ]; then void idle "$s" "$run" "one more request failed while they were held"; return; fi
  # The IDLE clients and the 5 one-more requests, plus up to 3 reads of the server's
  # status page (ours: heap before, held, heap after; nginx: stub_status) in between.
  why=$(check_run "$s" $B/before $B/after "$tx0" "$tx1" any $((IDLE + 5)) $((IDLE + 5 + 3)))
  if [ -n "$why" ]; then void idle "$s" "$run" "$why"; return; fi
  row idle "$s" "$run" held "$IDLE"
  row idle "$s" "$run" kib_per_conn "$(echo "($rss1 - $rss0) / $IDLE" | bc -l)"
  row idle "$s" "$run" kib_per_conn_at_once "$(echo "($rss_once - $rss0) / $IDLE" | bc -l)"
  row idle "$s" "$run" rss_mib "$(echo "$rss1 / 1024" | bc -l)"
  row idle "$s" "$run" threads "$threads"
  row idle "$s" "$run" extra_req_ms "$(echo "$latency * 1000" | bc -l)"
  row idle "$s" "$run" extra_req_ms_none_held "$(echo "$latency_empty * 1000" | bc -l)"
  if [ -n "$heap0" ] && [ -n "$heap1" ]; then
    row idle "$s" "$run" heap_kib_per_conn "$(echo "($heap1 - $heap0) / $IDLE" | bc -l)"
  fi
}

# Slow clients (bench/slow-clients.py): SLOW stalled handshakes, or SLOW half-sent request
# heads, or SLOW_DOWNLOADS downloads whose client stopped reading, held; then 20 fresh
# clients one after the other, each a new connection (handshake and 1 KiB) by curl, the
# same for every server. Reported: their median and worst time, how many failed, and the
# server's threads while they are held. Void when the client could not hold them all, or
# the server says it holds fewer.
measure_slow() { # scenario kind count server run
  local sc=$1 kind=$2 n=$3 s=$4 run=$5 pid=${PIDS[$4]} client i t times=() failed=0 threads holds held bad tx0 tx1
  tx0=$(tls_tx)
  python3 bench/slow-clients.py "$kind" 127.0.0.1 "${PORT[$s]}" "$n" /f64m.bin > $B/slow.out 2> $B/slow.err &
  client=$!
  await_held $B/slow.out $client
  sleep 5   # the downloads fill their windows and the server's send buffers
  for i in $(seq 20); do
    if t=$(fresh_request "$s"); then
      times+=("$t")
    else
      failed=$((failed + 1))
    fi
  done
  threads=$(status_sum "$pid" Threads)
  holds=$(held_by "$s")
  tx1=$(tls_tx)
  kill -TERM $client 2>/dev/null || true; wait $client 2>/dev/null || true
  read -r _ held _ bad < $B/slow.out || { held=0; bad=$n; }
  if [ "${held:-0}" != "$n" ] || [ "${bad:-1}" != 0 ]; then
    void "$sc" "$s" "$run" "the clients held ${held:-0} of $n ($(head -c 200 $B/slow.err | tr '\n,' '  '))"; return
  fi
  if [ "${holds:-0}" -lt "$n" ]; then void "$sc" "$s" "$run" "the server says it holds ${holds:-0} of $n"; return; fi
  if [ "$s" = ktls-kernel ] && [ "$tx1" -le "$tx0" ]; then void "$sc" "$s" "$run" "TlsTxSw did not move"; return; fi
  row "$sc" "$s" "$run" held "$n"
  row "$sc" "$s" "$run" refused "$failed"
  row "$sc" "$s" "$run" threads "$threads"
  if [ ${#times[@]} -gt 0 ]; then
    row "$sc" "$s" "$run" fresh_median_ms "$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
      print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) * 1000 }')"
    row "$sc" "$s" "$run" fresh_max_ms "$(printf '%s\n' "${times[@]}" | sort -n | tail -1 | awk '{ print $1 * 1000 }')"
  fi
}

# The first 1,000 handshakes of a fresh server (JIT cold, after the one request that said
# it was up), 8 connections at a time, each "Connection: close", as d-full: wrk runs of
# one second each until 1,000 have been answered; the last second counts pro rata. The
# JVM's own start (before the port answers) is not in it. Checked as the measured runs
# are (check_run): the snapshot before is one more handshake and status page for ours,
# one of over a thousand, and it is not timed.
measure_first() { # server
  local s=$1 total=0 secs=0 n out served=0 chunks=0 tx0 tx1 why
  snapshot "$s" $B/before; tx0=$(tls_tx)
  while [ "$total" -lt 1000 ]; do
    out=$(wrk -t1 -c8 -d1s -H "Connection: close" "$(url "$s" f1k.bin)" 2>&1)
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    if [ -z "$n" ] || [ "$n" = 0 ] || echo "$out" | grep -q -E "Non-2xx|Socket errors"; then
      void d-first "$s" 1 "wrk failed: $(echo "$out" | tr '\n,' '  ' | head -c 200)"; return
    fi
    served=$((served + n)); chunks=$((chunks + 1))
    if [ $((total + n)) -ge 1000 ]; then
      secs=$(echo "$secs + (1000 - $total) / $n" | bc -l); total=1000
    else
      secs=$((secs + 1)); total=$((total + n))
      [ "$secs" -lt 300 ] || { void d-first "$s" 1 "not 1,000 in 300 s"; return; }
    fi
  done
  tx1=$(tls_tx); snapshot "$s" $B/after
  why=$(check_run "$s" $B/before $B/after "$tx0" "$tx1" full $(wrk_handshakes "$served" "$chunks" -H "Connection: close"))
  if [ -n "$why" ]; then void d-first "$s" 1 "$why"; return; fi
  row d-first "$s" 1 seconds_to_1000 "$secs"
}

# The same warm-up for every server, JVM or not: keep-alive requests, then new
# connections, WARMUP seconds each, not measured (the JVM's JIT needs it; nginx does not,
# and gets it anyway). The cold start is d-first's to report.
#
# The handshake groups warm up on new connections until the server has done
# BENCH_HANDSHAKE_WARMUP handshakes (20,000), and for at least 20 s: the same work for
# every server, where a time would give the slow harness far less. HotSpot compiles a
# method with C2 after thousands of calls, and the handshake's are called a few times per
# handshake: in UML, at 150 handshakes a second, 20 s (3,000 handshakes) left C2 at work
# through every measured run (1-2 ms of compiling per handshake), and after 90 s (14,000)
# still at 1.5 ms; on the host 20 s is over 30,000. A server that cannot do them within
# BENCH_HANDSHAKE_WARMUP_CAP seconds (300) is not warm, and its handshake runs are void.
#
# Keep-alive requests likewise: until BENCH_REQUEST_WARMUP requests (20,000) and at least
# WARMUP seconds, within 120 s. In UML 5 s was about 7,000, and ours' CPU per 1 KiB request
# fell from 556 to 516 to 199 us over the three measured runs (at 40b7dfc).
#
# The 64 MiB download that fills the page cache comes first, so that the last thing a
# server does before the measured runs is their kind of work. After it, on the host, our
# first handshake run was the slowest of the three in every try (446-591 us against
# 324-447; resumed 248-296 against 153-203); with the download first it was not (381,
# 408, 325; resumed 197, 195, 153).
# scripts/wrk-until.sh COUNT MIN CAP CHUNK URL: wrk in CHUNK-second runs until COUNT
# requests and MIN seconds, within CAP seconds; prints the requests done.

warm_up() { # server
  local done_ t0
  curl -sk -m 120 -o /dev/null "$(url "$1" f64m.bin)" || true # the page cache, first
  t0=$SECONDS
  done_=$(scripts/wrk-until.sh "$KA_WARMUP" "$WARMUP" 120 "$WARMUP" "$(url "$1" f1k.bin)")
  log "warm-up $1: $done_ keep-alive requests in $((SECONDS - t0)) s"
  case $group in
    hsf|hsr|rc*)
      t0=$SECONDS
      WARMED[$1]=$(scripts/wrk-until.sh "$HS_WARMUP" 20 "$HS_WARMUP_CAP" 10 "$(url "$1" f1k.bin)" -H "Connection: close")
      log "warm-up $1: ${WARMED[$1]} handshakes in $((SECONDS - t0)) s" ;;
    *) wrk -t1 -c8 -d"${WARMUP}s" -H "Connection: close" "$(url "$1" f1k.bin)" > /dev/null 2>&1 || true ;;
  esac
}

if [ "$set_" = all ]; then IDLE=${BENCH_IDLE:-2000}; else IDLE=${BENCH_IDLE:-10000}; fi
# Slow clients held: 2,000 stalled handshakes or heads and 200 stalled downloads in the kernel
# harness, 10,000 and 1,000 on the host (BENCH_SLOW, BENCH_SLOW_DOWNLOADS).
if [ "$set_" = all ]; then SLOW=${BENCH_SLOW:-2000}; SLOW_DL=${BENCH_SLOW_DOWNLOADS:-200}
else SLOW=${BENCH_SLOW:-10000}; SLOW_DL=${BENCH_SLOW_DOWNLOADS:-1000}; fi
SETTLE=${BENCH_SETTLE:-25}
# BENCH_SCENARIOS (default: all), e.g. "c-1KiB d-full", runs only those, for a quick check.
want() { [ -z "${BENCH_SCENARIOS:-}" ] || [[ " $BENCH_SCENARIOS " == *" $1 "* ]]; }
for group in ${BENCH_GROUPS:-dl hsf hsr rc13 rc12 rc13rsa rc12rsa idle slow}; do
  log "group $group: starting servers"
  start_group "$group"
  if [ "$group" = hsf ] && want d-first; then
    for s in "${SERVERS[@]}"; do in_group "$s" && { log "first handshakes: $s"; measure_first "$s"; }; done
  fi
  for s in "${!PIDS[@]}"; do warm_up "$s"; done
  for run in $(seq "$RUNS"); do
    if { [ "$group" = idle ] || [ "$group" = slow ]; } && [ "$run" -gt 1 ]; then
      # Memory growth means something only on a server that has not held them before:
      # a server reuses what it grew in the last run (nginx then shows none).
      log "group $group run $run: fresh servers"
      stop_group; start_group "$group"
      for s in "${!PIDS[@]}"; do warm_up "$s"; done
    fi
    order=("${SERVERS[@]}")
    if [ -n "${BENCH_AB_JAR:-}" ]; then   # an A/B check: each server first in turn, no order bias
      r=$(( (run - 1) % ${#SERVERS[@]} )); order=("${SERVERS[@]:r}" "${SERVERS[@]:0:r}")
    fi
    for s in "${order[@]}"; do
      in_group "$s" || continue
      log "group $group run $run: $s"
      case $group in
        dl)
          want a && measure_download a "$s" "$run" f64m.bin 1
          want b && measure_download b "$s" "$run" f16m.bin 8
          want c-1KiB && wrk_run c-1KiB "$s" "$run" f1k.bin any
          want c-64KiB && wrk_run c-64KiB "$s" "$run" f64k.bin any
          [ "$run" = "$RUNS" ] && want c-1KiB && measure_syscalls c-1KiB "$s" "$run" ;;
        hsf|hsr|rc*) if [ "${WARMED[$s]:-0}" -lt "$HS_WARMUP" ]; then
               void "$(case $group in hsf) echo d-full ;; hsr) echo d-resumed ;; *) echo "r-${group#rc}" ;; esac)" \
                 "$s" "$run" \
                 "not warm: ${WARMED[$s]:-0} of $HS_WARMUP warm-up handshakes in ${HS_WARMUP_CAP} s"
               continue
             fi ;;&
        hsf) wrk_run d-full "$s" "$run" f1k.bin full -H "Connection: close"
             [ "$run" = "$RUNS" ] && measure_syscalls d-full "$s" "$run" -H "Connection: close" ;;
        hsr) wrk_run d-resumed "$s" "$run" f1k.bin resumed -H "Connection: close" ;;
        # A new connection per request, wrk offering each connection's last session.
        rc*) wrk_run "r-${group#rc}" "$s" "$run" f1k.bin resumed -H "Connection: close" ;;
        idle) measure_idle "$s" "$run" ;;
        slow)
          want s-handshakes && measure_slow s-handshakes handshakes "$SLOW" "$s" "$run"
          want s-heads && measure_slow s-heads heads "$SLOW" "$s" "$run"
          want s-downloads && measure_slow s-downloads downloads "$SLOW_DL" "$s" "$run" ;;
      esac
    done
    if [ "$set_" = all ] && [ "$group" = dl ] && want a; then
      log "run $run: raw limit"
      tx0=$(tls_tx)
      java "${JAVA_OPTS[@]}" -cp "target/test-classes:target/classes:target/lib/*" io.ktlshttps.bench.RawSendfileLimit \
        $B/www/f64m.bin 1 > $B/raw.out || true
      tx1=$(tls_tx)
      while IFS=, read -r bytes secs cpu status; do
        if [ "$status" != ok ] || [ "$tx1" -le "$tx0" ]; then
          void a raw-limit "$run" "the reader failed or TlsTxSw did not move"; continue
        fi
        row a raw-limit "$run" MBps "$(echo "$bytes / $secs / 1000000" | bc -l)"
        row a raw-limit "$run" cpu_s_per_GiB "$(echo "$cpu / ($bytes / 1073741824)" | bc -l)"
      done < $B/raw.out
      [ -s $B/raw.out ] || void a raw-limit "$run" "the raw sender printed nothing"
      for f in $B/www/e-*.bin; do
        name=$(basename "$f")
        for s in ktls-kernel ktls-kernel-write ktls-userspace; do
          in_group "$s" || continue
          measure_download "e-${name#e-}" "$s" "$run" "$name" 1
        done
      done
    fi
  done
  stop_group
done
log "done"
