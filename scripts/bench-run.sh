#!/usr/bin/env bash
# One benchmark pass on the current kernel; called by scripts/bench.sh (directly, or
# inside the test kernel). Appends CSV rows to target/bench/results.csv:
#   harness,scenario,server,run,metric,value
# Usage: scripts/bench-run.sh HARNESS all|userspace
set -euo pipefail
cd "$(dirname "$0")/.."
harness=$1
set_=$2
B=target/bench
CSV=$B/results.csv
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-3}
JAVA_OPTS=(-Xmx256m -Xms64m)
export LC_ALL=C

log() { echo "bench[$harness]: $*" >&2; }
row() { echo "$harness,$1,$2,$3,$4,$5" >> "$CSV"; }

# --- servers ---------------------------------------------------------------------
declare -A PORT=( [ktls-kernel]=8441 [ktls-userspace]=8442 [jsse]=8443 [nginx-ktls]=8444 [nginx-userspace]=8445
                  [ktls-kernel-write]=8446 )
declare -A PIDS
if [ "$set_" = all ]; then
  SERVERS=(ktls-kernel ktls-userspace jsse nginx-ktls nginx-userspace)
else
  SERVERS=(ktls-userspace jsse nginx-userspace)
fi

start_ktls() { # name port extra-args...
  local name=$1 port=$2; shift 2
  java "${JAVA_OPTS[@]}" -jar target/ktls-https.jar --port "$port" --bind 127.0.0.1 --root $B/www \
    --cert certs/cert.pem --key certs/key.pem --access-log off --log-level warn --max-connections 64 "$@" \
    > $B/$name.log 2>&1 &
  PIDS[$name]=$!
}

start_nginx() { # name port ktls(on|off)
  local name=$1 port=$2 ktls=$3 dir=$B/$1
  mkdir -p "$dir"
  local opts=""
  [ "$ktls" = on ] && opts="ssl_conf_command Options KTLS;"
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $PWD/$dir/nginx.pid;
error_log $PWD/$dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $PWD/certs/cert.pem;
    ssl_certificate_key $PWD/certs/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    $opts
    root $PWD/$B/www;
  }
}
NGINX
  nginx -c "$PWD/$dir/nginx.conf" -p "$PWD/$dir" > "$dir/out.log" 2>&1 &
  PIDS[$name]=$!
}

for s in "${SERVERS[@]}"; do
  case $s in
    ktls-kernel) start_ktls $s ${PORT[$s]} --ktls=required ;;
    ktls-userspace) start_ktls $s ${PORT[$s]} --ktls=off ;;
    jsse) java "${JAVA_OPTS[@]}" -cp target/bench-classes io.ktlshttps.bench.JsseFileServer ${PORT[$s]} $B/www \
            certs/cert.pem certs/key.pem > $B/jsse.log 2>&1 & PIDS[$s]=$! ;;
    nginx-ktls) start_nginx $s ${PORT[$s]} on ;;
    nginx-userspace) start_nginx $s ${PORT[$s]} off ;;
  esac
done
[ "$set_" = all ] && { start_ktls ktls-kernel-write ${PORT[ktls-kernel-write]} --ktls=required --sendfile=off; }

cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

url() { echo "https://127.0.0.1:${PORT[$1]}/$2"; }
for s in "${!PIDS[@]}"; do
  for i in $(seq 600); do curl -sk -o /dev/null "$(url $s f1k.bin)" && break; sleep 0.2; done
  curl -sk -o /dev/null "$(url $s f64m.bin)" # warm-up (JIT, page cache)
done

# CPU ticks of a server, all threads (the JVM, or nginx's master and worker), from
# /proc/PID/stat: prints "utime stime".
cpu_of() {
  local pid=$1 u=0 s=0 p
  for p in $pid $(pgrep -P "$pid" 2>/dev/null); do
    [ -r /proc/$p/stat ] || continue
    read -r u s <<< "$(awk -v u="$u" -v s="$s" '{ sub(/^.*\) /, ""); print u + $12, s + $13 }' /proc/$p/stat)"
  done
  echo "$u $s"
}

measure_download() { # scenario server run file count
  local sc=$1 s=$2 run=$3 file=$4 n=$5 u0 s0 u1 s1 t0 t1 bytes gib clients=() i
  read -r u0 s0 <<< "$(cpu_of ${PIDS[$s]})"; t0=$(date +%s.%N)
  for i in $(seq "$n"); do curl -sk --fail -o /dev/null "$(url $s "$file")" & clients+=($!); done
  for i in "${clients[@]}"; do wait "$i" || { log "download failed: $s $file"; return 1; }; done
  t1=$(date +%s.%N); read -r u1 s1 <<< "$(cpu_of ${PIDS[$s]})"
  bytes=$(( $(stat -c %s $B/www/$file) * n ))
  gib="($bytes / 1073741824)"
  row "$sc" "$s" "$run" MBps "$(echo "$bytes / ($t1 - $t0) / 1000000" | bc -l)"
  row "$sc" "$s" "$run" cpu_s_per_GiB "$(echo "($u1 - $u0 + $s1 - $s0) / 100 / $gib" | bc -l)"
  row "$sc" "$s" "$run" user_cpu_s_per_GiB "$(echo "($u1 - $u0) / 100 / $gib" | bc -l)"
}

wrk_run() { # scenario server run file [header]
  local sc=$1 s=$2 run=$3 file=$4 out
  shift 4
  out=$(wrk -t1 -c8 -d${DURATION}s --latency "$@" "$(url $s "$file")" 2>&1)
  row "$sc" "$s" "$run" req_per_s "$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  row "$sc" "$s" "$run" p50_ms "$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)"
  row "$sc" "$s" "$run" p99_ms "$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)"
}
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } print v }'; }

for run in $(seq "$RUNS"); do
  for s in "${SERVERS[@]}"; do
    log "run $run: $s"
    measure_download a "$s" "$run" f64m.bin 1
    measure_download b "$s" "$run" f16m.bin 8
    wrk_run c-1KiB "$s" "$run" f1k.bin
    wrk_run c-64KiB "$s" "$run" f64k.bin
    wrk_run d "$s" "$run" f1k.bin -H "Connection: close"
  done
  if [ "$set_" = all ]; then
    log "run $run: raw limit"
    java "${JAVA_OPTS[@]}" -cp "target/bench-classes:target/classes:target/lib/*" io.ktlshttps.bench.RawSendfileLimit \
      $B/www/f64m.bin 1 | while IFS=, read -r bytes secs cpu; do
        row a raw-limit "$run" MBps "$(echo "$bytes / $secs / 1000000" | bc -l)"
        row a raw-limit "$run" cpu_s_per_GiB "$(echo "$cpu / ($bytes / 1073741824)" | bc -l)"
      done
    for f in $B/www/e-*.bin; do
      name=$(basename "$f")
      for s in ktls-kernel ktls-kernel-write ktls-userspace; do
        measure_download "e-${name#e-}" "$s" "$run" "$name" 1
      done
    done
  fi
done
log "done"
