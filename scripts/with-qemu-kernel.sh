#!/usr/bin/env bash
# Runs one command under Debian's newest kernel (trixie-backports, 7.x) booted in QEMU,
# and exits with that command's status.
#
# Use it for kernel TLS features newer than the UML 6.1 kernel of with-ktls-kernel.sh
# (TLS 1.3 KeyUpdate needs 6.14+). QEMU runs in TCG (software) mode: KVM exists here but
# hangs stock kernels. Everything is emulated, so a boot takes seconds and java is slow.
# Recipe and caveats: ../shared/KERNEL-TLS-LAB.md, "Kernel 2".
#
# Usage: scripts/with-qemu-kernel.sh [--mem SIZE] -- COMMAND [ARG...]
#   The command runs as root in the caller's working directory, with PATH, HOME,
#   JAVA_HOME, CI, MAVEN_OPTS, KTLS_* and BENCH_* passed through. Loopback is up and the tls,
#   gcm, ccm and chacha20poly1305 modules are loaded before it starts. The guest sees
#   the host's files; only the project directory is written through to the host, other
#   writes land in guest memory and are gone after the run.
#   KTLS_QEMU_CACHE=DIR keeps the kernel elsewhere than target/qemu-kernel;
#   KTLS_QEMU_REFRESH=1 checks the mirror for a newer kernel than the cached one;
#   KTLS_QEMU_MIRROR=URL overrides the Debian mirror taken from the system's apt sources;
#   KTLS_QEMU_MTTCG=1 runs each vCPU on its own host thread (faster, but see below).
set -euo pipefail

HARNESS_NAME=with-qemu-kernel
# shellcheck source=scripts/harness-common.sh
. "$(dirname "$0")/harness-common.sh"
harness_parse_args "$@"

# qemu boots the kernel; busybox-static makes the initramfs (it must be static: the
# initramfs has no libc); kmod gives depmod here and modprobe in the guest; xz-utils
# unpacks the modules the initramfs loads before modprobe can run.
# Without recommends (harness_install) qemu is ~50 MB instead of a desktop's worth.
missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] \
  || missing+=(busybox-static)
{ [ -x /sbin/depmod ] && [ -x /sbin/modprobe ]; } || missing+=(kmod)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
harness_install "${missing[@]}"

project=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$project/target"
cache=${KTLS_QEMU_CACHE:-$project/target/qemu-kernel}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

# --- The kernel: downloaded once into the cache, never installed -------------------
#
# Layout: $cache/apt (a private apt state, so that the system's package lists, pins
# and package database are never used or changed), $cache/<version>/root (the unpacked
# packages plus depmod's indexes), $cache/<version>/base.cpio (the initramfs minus its
# per-run /init), and $cache/<version>/ready once all of that is complete.

newest_cached() {
  local d
  for d in "$cache"/*/ready; do
    if [ -e "$d" ]; then basename "$(dirname "$d")"; fi
  done | sort -V | tail -n 1
}

# The system's own Debian mirror (it may be a local proxy or a mirror that is reachable
# when deb.debian.org is not); deb.debian.org otherwise.
debian_mirror() {
  [ -n "${KTLS_QEMU_MIRROR:-}" ] && { echo "$KTLS_QEMU_MIRROR"; return; }
  local m
  m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | sed -n -E 's/^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?//p' | tr ' ' '\n' \
      | grep -E '^(https?|file)://.*/debian/?$' | head -n 1)
  echo "${m:-http://deb.debian.org/debian}"
}

apt_private() {
  local tool=$1; shift
  local a=$cache/apt
  local opts=(-o "Dir::State=$a/state" -o "Dir::State::status=/dev/null"
              -o "Dir::Cache=$a/cache" -o "Dir::Etc::SourceList=$a/sources.list"
              -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::Etc::Preferences=/dev/null"
              -o "Dir::Etc::PreferencesParts=/dev/null"
              -o "APT::Architecture=amd64" -o "APT::Architectures=amd64")
  # As root apt drops to the _apt user to download, which may not be able to write into
  # the cache (the project may sit in a private home); the packages are only unpacked.
  [ "$(id -u)" = 0 ] && opts+=(-o "APT::Sandbox::User=root")
  "$tool" "${opts[@]}" "$@"
}

# Prints the kernel version (e.g. 7.3.4+deb13-amd64) that linux-image-amd64 in
# trixie-backports points at: Debian's newest kernel for plain amd64 (not -cloud, -rt).
newest_available() {
  local a=$cache/apt keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial"
  # The trixie archive keys are in bookworm's debian-archive-keyring since 2023.3+deb12u1.
  [ -r "$keyring" ] || die "no $keyring (package debian-archive-keyring)"
  echo "deb [signed-by=$keyring] $(debian_mirror) trixie-backports main" > "$a/sources.list"
  apt_private apt-get update -qq >&2 || return 1
  apt_private apt-cache depends linux-image-amd64 2>/dev/null \
    | sed -n -E 's/^ *Depends: linux-image-([0-9].*-amd64)$/\1/p' | sort -V | tail -n 1
}

# Unpacks kernel <version> into $cache/<version>; the caller holds the cache lock.
prepare() {
  local ver=$1 work=$cache/$1.partial
  rm -rf "$work" "${cache:?}/$ver"
  mkdir -p "$work/debs" "$work/root" "$work/base/modules"
  say "downloading Linux $ver from trixie-backports (~120 MB, once)"
  # linux-binary has vmlinuz, linux-modules the modules (tls.ko...), linux-base the
  # modules.builtin depmod needs so that modprobe knows built-in drivers are there.
  (cd "$work/debs" && apt_private apt-get download -qq \
      "linux-binary-$ver" "linux-modules-$ver" "linux-base-$ver" >&2) \
    || die "downloading linux-binary/linux-modules/linux-base-$ver failed"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
  rm -rf "$work/debs"
  # depmod -b wants <root>/lib/modules; Debian ships them in usr/lib/modules.
  ln -s usr/lib "$work/root/lib"
  depmod -b "$work/root" "$ver" || die "depmod for $ver failed"
  local mods=$work/root/usr/lib/modules/$ver
  [ -f "$mods/vmlinuz" ] || die "linux-binary-$ver has no vmlinuz"
  [ -n "$(find "$mods" -name 'tls.ko*' -print -quit)" ] || die "Linux $ver has no tls module"

  # The initramfs only has to reach the host's files: busybox, plus the 9p and overlay
  # modules uncompressed (busybox insmod cannot read .ko.xz). virtio-pci is built in.
  local m f
  for m in netfs 9pnet 9pnet_virtio 9p overlay; do
    f=$(find "$mods/kernel" -name "$m.ko*" -print -quit)
    [ -n "$f" ] || die "Linux $ver has no $m module"
    case "$f" in
      *.xz) xz -dc "$f" > "$work/base/modules/$m.ko" ;;
      *)    cp "$f" "$work/base/modules/$m.ko" ;;
    esac
  done
  mkdir -p "$work/base/bin" "$work/base/dev" "$work/base/proc" "$work/base/lower" \
    "$work/base/upper" "$work/base/newroot"
  cp /bin/busybox "$work/base/bin/busybox"
  (cd "$work/base" && find . | busybox cpio -o -H newc -R 0:0 > ../base.cpio 2>/dev/null) \
    || die "building the initramfs failed"
  rm -rf "$work/base"
  touch "$work/ready"
  mv "$work" "$cache/$ver"
}

# One run prepares at a time; a second waits rather than downloading the same files.
exec 9>"$cache/.lock"
flock 9
ver=$(newest_cached)
if [ -z "$ver" ] || [ -n "${KTLS_QEMU_REFRESH:-}" ]; then
  t0=$SECONDS
  if newest=$(newest_available) && [ -n "$newest" ]; then
    # (An if, not ||: set -e must stay in force inside prepare.)
    if [ ! -e "$cache/$newest/ready" ]; then prepare "$newest"; fi
    ver=$newest
    say "Linux $ver ready in $((SECONDS - t0)) s"
  elif [ -n "$ver" ]; then
    say "could not ask $(debian_mirror) for a newer kernel; using the cached $ver"
  else
    die "could not find Debian's newest kernel in trixie-backports at $(debian_mirror)"
  fi
fi
exec 9>&-
root=$cache/$ver/root
modules=$root/usr/lib/modules/$ver

# --- One run -------------------------------------------------------------------------

# Files both sides need live in the project: it is the guest's only write-through path.
state=$(mktemp -d "$project/target/qemu.XXXXXX")
trap 'rm -rf "$state"' EXIT

harness_write_command "$state/command.sh"

# Quotes a path for busybox sh, which lacks bash's $'...' forms that %q may print.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Stage 1, /init of the initramfs (busybox): make the host's files the root and hand
# over to stage 2. The host root comes over 9p read-only (a root guest must not write
# the host's /), under an overlay whose upper layer is guest memory, so that the host's
# /tmp and HOME stay visible yet writable (Maven, the JVM and tests write there). The
# project directory is a second, read-write share on top: target/ is where Maven's
# reports and this run's status must reach the host.
mkdir -p "$state/initramfs"
cat > "$state/initramfs/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
fail() { echo "with-qemu-kernel (guest): \$*"; /bin/busybox poweroff -f; }
for m in netfs 9pnet 9pnet_virtio 9p overlay; do
  /bin/busybox insmod /modules/\$m.ko || fail "insmod \$m failed"
done
# Large messages cut the 9p round trips, which are slow under emulation.
o=trans=virtio,version=9p2000.L,msize=512000
# cache=loose lets the guest keep the host's files in its page cache (java starts about a
# third faster); fine for a view that nothing in the guest writes to.
/bin/busybox mount -t 9p -o \$o,ro,cache=loose hostroot /lower || fail "mounting the host root failed"
/bin/busybox mount -t tmpfs -o mode=755 tmpfs /upper
/bin/busybox mkdir /upper/data /upper/work
/bin/busybox mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work \
  overlay /newroot || fail "mounting the overlay root failed"
# cache=mmap: shared writable mappings work, everything else reaches the host at once.
/bin/busybox mount -t 9p -o \$o,cache=mmap project /newroot$(sq "$project") \
  || fail "mounting the project directory failed"
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot $(sq "$state/init.sh")
INIT
chmod +x "$state/initramfs/init"
# The kernel unpacks concatenated cpio archives in order: the cached base, then /init.
(cd "$state/initramfs" && echo init | busybox cpio -o -H newc -R 0:0 > ../init.cpio 2>/dev/null)
cat "$cache/$ver/base.cpio" "$state/init.cpio" > "$state/initrd.img"

# Stage 2, PID 1 on the host's files (bash and the host's tools): prepare the guest,
# run the command, record its status, power off.
cat > "$state/init.sh" <<INIT
#!/bin/bash
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The host's /run holds its daemons' sockets and pid files: none of them are here.
mount -t tmpfs -o mode=755 tmpfs /run
# The serial console would end every line of the caller's output with CR LF.
stty -onlcr 2>/dev/null
# InetAddress.getLocalHost() must resolve without a network (the default is "(none)").
hostname localhost
ip link set lo up 2>/dev/null || busybox ip link set lo up
# The host has no modules for this kernel: link the cached ones where modprobe (and the
# kernel's on-demand loading of crypto such as gcm(aes)) looks. This lands in the
# overlay, never on the host.
mkdir -p /lib/modules
rm -rf /lib/modules/$ver
ln -s $(printf %q "$modules") /lib/modules/$ver
for m in tls gcm ccm chacha20poly1305; do
  modprobe \$m || echo "with-qemu-kernel (guest): modprobe \$m failed" >&2
done
status=1
if [ -e /proc/net/tls_stat ]; then
  touch $(printf %q "$state/started")
  /bin/bash $(printf %q "$state/command.sh") </dev/null
  status=\$?
else
  echo "with-qemu-kernel (guest): no /proc/net/tls_stat; the tls module did not load" >&2
fi
echo \$status > $(printf %q "$state/status")
sync
# Power off without the kernel's "Power down" line (console log level 0 prints nothing;
# sysrq would print its own header regardless, so it is only the fallback).
echo 0 > /proc/sys/kernel/printk
busybox poweroff -f || echo o > /proc/sysrq-trigger
sleep 60
INIT
chmod +x "$state/init.sh"

# thread=single runs both vCPUs on one host thread. With QEMU's default, a host thread
# per vCPU, about one boot in six died in "Oops: int3" where the kernel patches its own
# code (static keys) while the other vCPU runs it. KTLS_QEMU_MTTCG=1 takes that risk
# for speed: JIT-heavy java runs ~40% faster on a 2-core host.
tcg=tcg,thread=single
[ "${KTLS_QEMU_MTTCG:-}" = 1 ] && tcg=tcg,thread=multi
# -cpu max: TCG then offers AES-NI, AVX2 and the rest, so the kernel and the JDK pick
# their fast paths. -nodefaults: no emulated VGA or network card to boot and probe.
# -no-reboot with panic=-1: a guest that panics ends qemu instead of looping.
# A guest that dies before the command starts (such a crash, mostly) boots again; one
# that dies while it runs does not, as the command may have had side effects.
for attempt in 1 2 3; do
  qemu-system-x86_64 -accel "$tcg" -cpu max -m "$HARNESS_MEM" -smp 2 -nodefaults -display none \
    -no-reboot -serial stdio -kernel "$modules/vmlinuz" -initrd "$state/initrd.img" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=${project//,/,,},mount_tag=project,security_model=none,multidevs=remap" \
    -append "console=ttyS0 panic=-1 quiet" < /dev/null || true
  [ -f "$state/status" ] && exit "$(cat "$state/status")"
  [ -e "$state/started" ] \
    && die "the QEMU guest (Linux $ver) stopped while the command ran, without its status; see the console output above"
  say "the QEMU guest (Linux $ver) stopped before the command started (boot $attempt of 3)"
done
die "the QEMU guest (Linux $ver) failed to boot 3 times; see the console output above"
