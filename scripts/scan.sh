#!/usr/bin/env bash
# `make scan`: testssl.sh (Debian's package) against a running ktls-https, and checks
# that only TLS 1.2 and 1.3, only forward-secret AEAD suites, and no vulnerability are
# reported. Keeps the report in docs/testssl.txt. The TLS configuration is the same
# whether records then go through the kernel or user space.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v testssl >/dev/null 2>&1 || command -v testssl.sh >/dev/null 2>&1 \
  || scripts/apt-install.sh testssl.sh bsdmainutils dnsutils
testssl=$(command -v testssl || command -v testssl.sh)
mvn -B -q -DskipTests package
port=${SCAN_PORT:-8449}
java -jar target/ktls-https.jar --port "$port" --bind 127.0.0.1 --root demo --access-log off --log-level warn &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for i in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.2; done

report=docs/testssl.txt
"$testssl" --quiet --color 0 --warnings off --ip one -p -e -f -U "127.0.0.1:$port" > "$report.tmp" 2>&1 || true
# Drop the lines that change on every run (timestamps, durations).
grep -v -E "^ *(Start|Done) |Testing all IPv4|^ *rDNS" "$report.tmp" > "$report"; rm -f "$report.tmp"

fail=0
check() { if grep -E -q "$1" "$report"; then echo "scan: $2" >&2; fail=1; fi; }
check "SSLv2 +offered|SSLv3 +offered|TLS 1 +offered|TLS 1.1 +offered" "a legacy protocol is offered"
check "^ *x[0-9a-f]+ .*(CBC|RC4|DES|NULL|EXP|SHA1 *$)" "a non-AEAD suite is offered"
check "[^t] VULNERABLE|NOT ok" "testssl.sh reports a vulnerability or a failed check"
check "Elliptic curves offered:.*(sect|secp160|secp192|prime192)" "a weak elliptic curve is accepted"
grep -E -q "TLS 1.3 +offered" "$report" || { echo "scan: TLS 1.3 is not offered" >&2; fail=1; }
grep -E -q "TLS 1.2 +offered" "$report" || { echo "scan: TLS 1.2 is not offered" >&2; fail=1; }
[ $fail = 0 ] && echo "scan: only TLS 1.2/1.3, only ECDHE AEAD suites, nothing vulnerable; report in $report"
exit $fail
