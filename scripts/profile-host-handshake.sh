#!/usr/bin/env bash
# Host, user-space records: profile ours under full or resumed TLS 1.2 handshakes after a warm-up of
# WARM handshakes (as make bench's handshake groups). KIND=full|resumed.
# Not part of make bench (docs/benchmarks/profile-host-resumed.txt says when it last ran). Run:
#   make build && scripts/make-certs.sh && KIND=resumed scripts/profile-host-handshake.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=target/exp/out; mkdir -p $B target/bench/www
[ -f target/bench/www/f1k.bin ] || head -c 1024 /dev/urandom > target/bench/www/f1k.bin
LIB=$(scripts/async-profiler.sh)
PORT=8472; KIND=${KIND:-resumed}
cache=(); [ "$KIND" = full ] && cache=(--session-cache 0)
java -Xmx256m -Xms64m -jar target/ktls-https.jar --port $PORT --bind 127.0.0.1 --root target/bench/www \
  --cert certs/cert.pem --key certs/key.pem --ktls=off --access-log off --log-level warn --max-connections 64 \
  --tls 1.2 --ciphers AES_256_GCM "${cache[@]}" > $B/host-server.log 2>&1 &
pid=$!
for i in $(seq 100); do curl -sk -m 5 -o /dev/null "https://127.0.0.1:$PORT/f1k.bin" && break; sleep 0.2; done
url="https://127.0.0.1:$PORT/f1k.bin"
t0=$SECONDS
done_=$(scripts/wrk-until.sh "${WARM:-20000}" 20 300 5 "$url" -H "Connection: close")
echo "warm-up: $done_ handshakes in $((SECONDS - t0)) s"
c0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/$pid/stat)
n0=$(wrk -t1 -c8 -d10s -H "Connection: close" "$url" | awk '/requests in/ {print $1}')
c1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/$pid/stat)
echo "not profiled: $n0 handshakes, $(( (c1 - c0) * 10000 / n0 )) us CPU each"
jcmd $pid JVMTI.agent_load "$LIB" "\"start,event=itimer\"" > /dev/null
wrk -t1 -c8 -d10s -H "Connection: close" "$url" > $B/host-$KIND.wrk 2>&1
jcmd $pid JVMTI.agent_load "$LIB" "\"stop,file=$PWD/$B/host-$KIND.collapsed,collapsed\"" > /dev/null
curl -sk "https://127.0.0.1:$PORT/server-status" | grep negotiated
kill $pid; wait $pid 2>/dev/null || true
python3 scripts/profile-top.py $B/host-$KIND.collapsed "$(awk '/requests in/ {print $1}' $B/host-$KIND.wrk)" > $B/host-$KIND.txt
head -40 $B/host-$KIND.txt
