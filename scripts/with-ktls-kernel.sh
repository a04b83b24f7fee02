#!/usr/bin/env bash
# Runs one command under a Linux kernel that has kernel TLS (CONFIG_TLS), and exits
# with that command's status.
#
# The kernel is Debian's User-Mode Linux 6.1 (package user-mode-linux): it boots in
# under a second as an ordinary process and shares the host's root filesystem (hostfs),
# so the command sees the same files, JDK and Maven repository as the caller.
# Recipe and caveats: ../shared/KERNEL-TLS-LAB.md; the README's "Kernel test harness".
#
# Usage: scripts/with-ktls-kernel.sh [--mem SIZE] -- COMMAND [ARG...]
#   The command runs as root in the caller's working directory, with PATH, HOME,
#   JAVA_HOME, CI, MAVEN_OPTS, KTLS_* and BENCH_* passed through. Loopback is up and the tls
#   module is loaded before it starts.
set -euo pipefail

HARNESS_NAME=with-ktls-kernel
# shellcheck source=scripts/harness-common.sh
. "$(dirname "$0")/harness-common.sh"
harness_parse_args "$@"

# linux.uml is the kernel (uml-utilities, its recommended helpers, as before);
# kmod gives the guest modprobe.
missing=()
command -v linux.uml >/dev/null 2>&1 || missing+=(user-mode-linux uml-utilities)
[ -x /sbin/modprobe ] || missing+=(kmod)
harness_install "${missing[@]}"

uml_version=$(find /usr/lib/uml/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
[ -n "$uml_version" ] || die "no UML modules under /usr/lib/uml/modules"
[ -n "$(find "/usr/lib/uml/modules/$uml_version" -name 'tls.ko*' -print -quit)" ] \
  || die "UML $uml_version has no tls module"

# Files both sides need live in the project (UML may mount its own /tmp).
project=$(cd "$(dirname "$0")/.." && pwd)
state=$(mktemp -d "$project/target/uml.XXXXXX" 2>/dev/null) || {
  mkdir -p "$project/target"; state=$(mktemp -d "$project/target/uml.XXXXXX"); }
trap 'rm -rf "$state"' EXIT

# UML backs guest memory with a file in $TMPDIR; it needs that much free space.
memdir=${TMPDIR:-/tmp}

harness_write_command "$state/command.sh"

cat > "$state/init.sh" <<INIT
#!/bin/sh
# PID 1 inside UML: prepare the guest, run the command, record its status, halt.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm
ip link set lo up
# The kernel loads its crypto (gcm, ccm, chacha20poly1305...) on demand through
# /proc/sys/kernel/modprobe. The host may have no /lib/modules (and hostfs would write
# one onto it), so point the kernel at a modprobe wrapper whose module root is ours.
mkdir -p $state/root/lib/modules
ln -s /usr/lib/uml/modules/$uml_version $state/root/lib/modules/$uml_version
printf '#!/bin/sh\nexec /sbin/modprobe -d $state/root "\$@"\n' > $state/modprobe
chmod +x $state/modprobe
echo $state/modprobe > /proc/sys/kernel/modprobe
for m in tls gcm ccm chacha20poly1305; do
  $state/modprobe \$m || echo "with-ktls-kernel: modprobe \$m failed" >&2
done
status=1
if [ -e /proc/net/tls_stat ]; then
  /bin/bash $state/command.sh
  status=\$?
fi
echo \$status > $state/status
sync
halt -f
INIT
chmod +x "$state/init.sh"

TMPDIR="$memdir" linux.uml mem="$HARNESS_MEM" rootfstype=hostfs rootflags=/ rw \
  init="$state/init.sh" con=null con0=fd:0,fd:1 quiet < /dev/null || true

[ -f "$state/status" ] || die "the UML kernel exited without recording a status (did it boot?)"
exit "$(cat "$state/status")"
