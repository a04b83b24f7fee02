#!/usr/bin/env bash
# Installs what building, running and testing ktls-https need, from Debian's packages,
# and only what is missing: a JDK 17+, Maven, openssl (certificates, a test client),
# curl, wget, gnutls-cli, Node.js, Go and headless Chromium (test clients), systemd-analyze (the unit file), python3 (test report summary and a test client),
# and, when the host kernel
# has no kernel TLS, User-Mode Linux, kmod and iproute2 for the test kernel.
# `--run-only` installs just what `make run` needs.
# Safe to run again. Needs root (or sudo) only when something is missing (scripts/apt-install.sh).
set -euo pipefail

want=()
have() { command -v "$1" >/dev/null 2>&1; }
have javac   || want+=(openjdk-17-jdk-headless)
have mvn     || want+=(maven)
have openssl || want+=(openssl)
if [ "${1:-}" != "--run-only" ]; then
  have python3 || want+=(python3)
  have curl || want+=(curl)
  have wget || want+=(wget)
  have gnutls-cli || want+=(gnutls-bin)
  have node || want+=(nodejs)   # RealClientsSuite: Node.js's tls module resuming a session
  have go || want+=(golang-go)  # RealClientsSuite: Go's crypto/tls, which resumes TLS 1.2 by ticket only
  have chromium || want+=(chromium)
  have systemd-analyze || want+=(systemd)   # SystemdUnitTest: systemd-analyze verify packaging/ktls-https.service
  modprobe tls 2>/dev/null || true
  if [ "${KTLS_HARNESS:-}" = uml ] || { [ "${KTLS_HARNESS:-}" != host ] && [ ! -e /proc/net/tls_stat ]; }; then
    have linux.uml || want+=(user-mode-linux)
    [ -x /sbin/modprobe ] || want+=(kmod)
    have ip || [ -x /sbin/ip ] || want+=(iproute2)
  fi
fi

[ ${#want[@]} -eq 0 ] && exit 0

exec "$(dirname "$0")/apt-install.sh" "${want[@]}"
