#!/usr/bin/env bash
# Inside the UML kernel: ours alone, kernel TLS, hsf pinning (TLS 1.2, AES-256-GCM, X25519,
# no resumption), warmed up to WARM handshakes, then a profiled window of SECS seconds of
# new connections: per-thread CPU (from /proc/PID/task/*/stat) per handshake, and an
# async-profiler itimer profile. Optional: NATIVE=off for --native-crypto off.
# Not part of make bench (docs/benchmarks/profile-uml-handshake.txt says when it last ran). Run:
#   make build && scripts/make-certs.sh && scripts/with-ktls-kernel.sh --mem 2G -- scripts/profile-uml-handshake.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=target/exp/out; mkdir -p $B target/bench/www
[ -f target/bench/www/f1k.bin ] || head -c 1024 /dev/urandom > target/bench/www/f1k.bin
LIB=$(scripts/async-profiler.sh)
PORT=8470
java -Xmx256m -Xms64m -jar target/ktls-https.jar --port $PORT --bind 127.0.0.1 --root target/bench/www \
  --cert certs/cert.pem --key certs/key.pem --access-log off --log-level warn --max-connections 64 \
  --tls 1.2 --ciphers AES_256_GCM --session-cache 0 --native-crypto ${NATIVE:-auto} > $B/server.log 2>&1 &
pid=$!
for i in $(seq 200); do curl -sk -m 5 -o /dev/null "https://127.0.0.1:$PORT/f1k.bin" && break; sleep 0.3; done
url="https://127.0.0.1:$PORT/f1k.bin"
t0=$SECONDS
done_=$(scripts/wrk-until.sh "${WARM:-20000}" 0 300 10 "$url" -H "Connection: close")
echo "warm-up: $done_ handshakes in $((SECONDS - t0)) s"
threads() { for t in /proc/$pid/task/*; do
  echo "$(cat $t/comm | tr ' ' _ | sed -E 's/[-_#]?[0-9]+$//') $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' $t/stat)"; done
  echo "PROCESS $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/$pid/stat)"; }
threads > $B/t0
wrk -t1 -c8 -d${SECS:-15}s -H "Connection: close" "$url" > $B/wrk.txt 2>&1
threads > $B/t1
n=$(awk '/requests in/ {print $1}' $B/wrk.txt)
echo "window (not profiled): $n handshakes"
# per thread-name group: ticks (10 ms) -> microseconds per handshake (threads that ended in the window are
# only in PROCESS)
awk -v n="$n" 'FNR == NR {a[$1] += $2; next} {b[$1] += $2} END {for (k in b) printf "%-24s %8.0f us/handshake\n", k, (b[k] - a[k]) * 10000 / n}' \
  $B/t0 $B/t1 | sort -k2 -n -r
jcmd $pid JVMTI.agent_load "$LIB" "\"start,event=itimer\"" > /dev/null
wrk -t1 -c8 -d${SECS:-15}s -H "Connection: close" "$url" > $B/wrk2.txt 2>&1
jcmd $pid JVMTI.agent_load "$LIB" "\"stop,file=$PWD/$B/uml.collapsed,collapsed\"" > /dev/null
n=$(awk '/requests in/ {print $1}' $B/wrk2.txt)
python3 scripts/profile-top.py $B/uml.collapsed "$n" > $B/uml-profile.txt || true
head -45 $B/uml-profile.txt
kill $pid; wait $pid 2>/dev/null || true
