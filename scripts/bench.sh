#!/usr/bin/env bash
# `make bench`: ktls-https against itself in user space, a JSSE baseline, nginx with and
# without kernel TLS, and the raw sendfile limit, side by side in one run.
# Runs on the host kernel if it has kernel TLS, else inside the UML test kernel; where
# the host lacks kernel TLS it also runs the user-space servers on the host kernel.
# Writes docs/benchmarks/ (CSV, Markdown, PNG, environment, void runs) and the README's
# benchmark paragraph. BENCH_RUNS (3), BENCH_DURATION (3 s per wrk run), BENCH_WARMUP
# (keep-alive requests, at least 5 s and BENCH_REQUEST_WARMUP requests, 20,000, and 5 s
# of new connections per server before measuring; in the
# handshake groups, new connections until BENCH_HANDSHAKE_WARMUP handshakes, 20,000, and
# at least 20 s, within BENCH_HANDSHAKE_WARMUP_CAP s, 300) and
# BENCH_IDLE (idle connections held: 2,000 in the kernel harness, 10,000 on the host) and
# BENCH_SETTLE (25 s idle before the idle scenario's memory readings) and BENCH_SLOW /
# BENCH_SLOW_DOWNLOADS (slow clients held: 2,000 / 200 in the kernel harness, 10,000 / 1,000
# on the host) shorten or lengthen it. BENCH_GROUPS (dl hsf hsr idle slow) picks groups.
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
for p in nginx wrk gnuplot bc curl strace; do command -v $p >/dev/null 2>&1 || want+=($p); done
if [ ${#want[@]} -gt 0 ]; then
  scripts/apt-install.sh $(printf '%s\n' "${want[@]}" | sed 's/^gnuplot$/gnuplot-nox/')
  systemctl stop nginx 2>/dev/null || true
fi
scripts/install-deps.sh

mvn -B -q -DskipTests package   # bench/java compiles with the tests, into target/test-classes
scripts/make-certs.sh >/dev/null
# The reconnect groups' RSA-2048 certificate (most sites still use one), made once like cert.pem.
if [ ! -s certs/rsa-cert.pem ] || [ ! -s certs/rsa-key.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost/O=ktls-https demo" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -keyout certs/rsa-key.pem -out certs/rsa-cert.pem 2>/dev/null
  chmod 600 certs/rsa-key.pem
fi

B=target/bench
rm -rf $B/www $B/results.csv
mkdir -p $B/www
head -c $((64 << 20)) /dev/urandom > $B/www/f64m.bin
head -c $((16 << 20)) /dev/urandom > $B/www/f16m.bin
head -c 1024 /dev/urandom > $B/www/f1k.bin
head -c 65536 /dev/urandom > $B/www/f64k.bin
for quarter in 8 9 10 11 12 13 14 15; do   # 2 MiB to 3.75 MiB in quarter-MiB steps
  size=$((quarter * 256 * 1024))
  head -c $size /dev/urandom > "$B/www/e-$(printf '%04d' $((quarter * 25)))cMiB.bin"
done
# The commit measured, in full, and whether the tree differed from it: changed or
# untracked files (git status, .gitignore respected) were built into the jar too.
commit_measured() {
  local head changes
  head=$(git rev-parse HEAD 2>/dev/null) || { echo "unknown (not a git checkout)"; return; }
  changes=$(git status --porcelain 2>/dev/null | wc -l)
  if [ "$changes" -eq 0 ]; then
    echo "$head, tree clean"
  else
    echo "$head, tree dirty ($changes changed or untracked paths, not committed)"
  fi
}

echo "harness,scenario,server,run,metric,value" > $B/results.csv
echo "harness,scenario,server,run,reason" > $B/void.csv

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(commit_measured)"
  echo "host kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
  echo "jdk: $(java -version 2>&1 | head -1)"
  echo "nginx: $(nginx -v 2>&1), $(openssl version)"
  echo "client: curl $(curl --version | head -1 | cut -d' ' -f2), wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
  echo "pinned on every server: downloads and keep-alive TLS 1.3 TLS_AES_256_GCM_SHA384 X25519;"
  echo "  handshakes TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384 X25519 (P-256 certificate), full with"
  echo "  resumption off everywhere, resumed with session IDs on and tickets off everywhere;"
  echo "  reconnecting clients TLS 1.3 TLS_AES_256_GCM_SHA384 or TLS 1.2 ECDHE-(ECDSA|RSA)-AES256-GCM-SHA384,"
  echo "  X25519, P-256 or RSA-2048 certificate, each server's own resumption defaults (tickets)"
  echo "warm-up: a 64 MiB download, then keep-alive requests until ${BENCH_REQUEST_WARMUP:-20000} and at least ${BENCH_WARMUP:-5} s,"
  echo "  then ${BENCH_WARMUP:-5} s of new connections per server, every server;"
  echo "  in the handshake groups new connections until ${BENCH_HANDSHAKE_WARMUP:-20000} handshakes and at least 20 s (within" \
    "${BENCH_HANDSHAKE_WARMUP_CAP:-300} s, else its runs are void)"
  echo "runs: ${BENCH_RUNS:-3} of ${BENCH_DURATION:-3} s per wrk scenario"
  echo "idle: ${BENCH_IDLE:-2000 (kernel harness) / 10000 (host)} connections by bench/idle-clients.py (Python asyncio, 32"
  echo "  handshakes at a time), one 1 KiB request each, then held; both servers keep idle connections"
  echo "  5 min and otherwise run with their default limits (ours: default JVM flags too); memory read"
  echo "  after ${BENCH_SETTLE:-25} s idle (BENCH_SETTLE), the baseline after the same settling, and at once"
  echo "slow: ${BENCH_SLOW:-2000 (kernel harness) / 10000 (host)} stalled handshakes or half-sent heads, or"
  echo "  ${BENCH_SLOW_DOWNLOADS:-200 / 1000} stalled downloads, by bench/slow-clients.py (Python asyncio), held while 20"
  echo "  fresh curl clients each make a new connection for 1 KiB; every server with nginx's 60 s timeouts"
} > $B/env.txt

modprobe tls 2>/dev/null || true
if [ -e /proc/net/tls_stat ] && [ "${KTLS_HARNESS:-}" != uml ]; then
  echo "kernel harness: host kernel $(uname -r)" >> $B/env.txt
  scripts/bench-run.sh host all
else
  uml=$(ls /usr/lib/uml/modules 2>/dev/null | sort -V | tail -n 1)
  echo "kernel harness: User-Mode Linux ${uml:-?} (one CPU, generic C crypto, no AES-NI)" >> $B/env.txt
  scripts/with-ktls-kernel.sh --mem 3G -- scripts/bench-run.sh uml all
  scripts/bench-run.sh host userspace
fi
scripts/bench-profile.sh || echo "bench: the profiles failed; the report goes on without them" >&2
# The handshake's public-key work by crypto provider (what --native-crypto chooses between).
{
  echo "# Handshake public-key operations by provider"
  echo
  echo "Generated by \`make bench\` (bench/java/.../CryptoProviders, one thread, 3 s warm-up and 3 s"
  echo "measured per cell) on $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
  echo "$(java -version 2>&1 | head -1). Absolute times on a shared machine are noise; compare rows."
  echo
  java -cp "target/test-classes:target/classes:target/lib/*" io.ktlshttps.bench.CryptoProviders 3
} > $B/crypto-providers.md || echo "bench: the crypto comparison failed" >&2
cp $B/crypto-providers.md docs/benchmarks/crypto-providers.md 2>/dev/null || true
python3 scripts/bench-report.py $B docs/benchmarks README.md
