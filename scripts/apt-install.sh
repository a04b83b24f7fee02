#!/usr/bin/env bash
# The one place that installs Debian packages: scripts/apt-install.sh PACKAGE...
# Installs those not installed yet, without recommends, quietly. As root directly,
# otherwise through sudo; with neither, it fails and says what to install. Safe to repeat.
# (scripts/with-qemu-kernel.sh also downloads kernel packages with apt, into its own
# directory, without installing them: that is not this.)
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "apt-install: missing ${missing[*]}; as root run: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi
echo "apt-install: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null || { echo "apt-install: apt-get update failed" >&2; exit 1; }
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { echo "apt-install: could not install ${missing[*]}" >&2; exit 1; }
