#!/usr/bin/env bash
# Installs what building, running and testing ktls-https need, from Debian's packages,
# and only what is missing: a JDK 17+, Maven, openssl (a test client), python3 (test
# report summary), and for the kernel tests User-Mode Linux, kmod and iproute2.
# Safe to run again. Needs root (or sudo) only when something is missing.
set -euo pipefail

want=()
have() { command -v "$1" >/dev/null 2>&1; }
have javac   || want+=(openjdk-17-jdk-headless)
have mvn     || want+=(maven)
have openssl || want+=(openssl)
have python3 || want+=(python3)
if [ "${1:-}" != "--run-only" ]; then
  have linux.uml || want+=(user-mode-linux)
  [ -x /sbin/modprobe ] || want+=(kmod)
  have ip || [ -x /sbin/ip ] || want+=(iproute2)
fi

[ ${#want[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  have sudo || { echo "install-deps: missing ${want[*]}; run as root to install them" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
