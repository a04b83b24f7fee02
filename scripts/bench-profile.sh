#!/usr/bin/env bash
# CPU profiles of ktls-https under the benchmark's small work, for `make bench`: where a
# keep-alive 1 KiB request and a full TLS 1.2 handshake spend their CPU. User-space records
# on the host kernel (ours only; the same pinned TLS setup as scripts/bench-run.sh), with
# async-profiler 4.2 (tools.profiler:async-profiler:4.2:linux-x64 from Maven Central; a
# benchmark tool, not a dependency of the server) attached after the warm-up, itimer
# sampling (no perf_events needed). Writes target/bench/profile-{keepalive,handshake}.txt
# (top frames and shares) and .collapsed (stacks, for flame graph tools; the report keeps only the .txt).
# The warm-up is the bench's own: PROFILE_WARMUP (20,000) requests or handshakes, in 10 s runs
# of wrk, within 300 s (a 15 s warm-up left the JIT at a fifth of the handshake profile's
# samples). PROFILE_SECONDS (10 s) sets the profiled phase.
set -euo pipefail
cd "$(dirname "$0")/.."
B=target/bench
LIB=$(scripts/async-profiler.sh)
PORT=8460

profile() { # name header-args...
  local name=$1 pid pin=(--tls 1.3 --ciphers AES_256_GCM)
  shift
  [ $# -gt 0 ] && pin=(--tls 1.2 --ciphers AES_256_GCM --session-cache 0)
  java -Xmx256m -Xms64m -jar target/ktls-https.jar --port $PORT --bind 127.0.0.1 --root $B/www \
    --cert certs/cert.pem --key certs/key.pem --ktls=off --access-log off --log-level warn --max-connections 64 \
    "${pin[@]}" > $B/profile-server.log 2>&1 &
  pid=$!
  for i in $(seq 100); do curl -sk -m 5 -o /dev/null "https://127.0.0.1:$PORT/f1k.bin" && break; sleep 0.2; done
  local done_ t0=$SECONDS
  done_=$(scripts/wrk-until.sh "${PROFILE_WARMUP:-20000}" 0 300 10 "https://127.0.0.1:$PORT/f1k.bin" "$@")
  local warmed="warm-up: $done_ requests in $((SECONDS - t0)) s"
  # jcmd parses key=value itself: the quotes keep the agent's options in one piece.
  jcmd $pid JVMTI.agent_load "$LIB" "\"start,event=itimer\"" > /dev/null
  wrk -t1 -c8 -d"${PROFILE_SECONDS:-10}s" "$@" "https://127.0.0.1:$PORT/f1k.bin" > $B/profile-$name.wrk 2>&1 || true
  jcmd $pid JVMTI.agent_load "$LIB" "\"stop,file=$PWD/$B/profile-$name.collapsed,collapsed\"" > /dev/null
  kill $pid; wait $pid 2>/dev/null || true
  python3 scripts/profile-top.py $B/profile-$name.collapsed "$(awk '/requests in/ {print $1}' $B/profile-$name.wrk)" \
    > $B/profile-$name.txt
  { echo; echo "$warmed"; } >> $B/profile-$name.txt
}

profile keepalive
profile handshake -H "Connection: close"
