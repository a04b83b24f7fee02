#!/usr/bin/env bash
# Runs the kernel TLS tests (JUnit tag "kernel") on a kernel that has kernel TLS:
#   - the host kernel, when TCP_ULP "tls" works here (modprobe tls is tried first);
#   - otherwise the User-Mode Linux 6.1 test kernel (scripts/with-ktls-kernel.sh), all
#     of them, and then Debian's newest kernel (7.x, with TLS 1.3 rekey) under QEMU
#     (scripts/with-qemu-kernel.sh), the subset that exercises what 6.1 lacks: KeyUpdate
#     and rekeying, record size caps, and hostile records. Everything is emulated there,
#     hence the subset.
#     KTLS_QEMU=off skips the second kernel (not allowed with CI=true).
# Expects `mvn test-compile` (or `make build`) to have run, so it can go offline.
# Extra arguments go to Maven, e.g. -Dtest=KernelDataPathKernelTest.
# KTLS_HARNESS=host|uml forces one; with CI=true a kernel that cannot run them fails.
# --report-dirs (alone) runs nothing and prints the report directories a run here and now
# produces, each QEMU one with its QEMU_TESTS, as scripts/test-summary.sh takes them.
set -euo pipefail
cd "$(dirname "$0")/.."

host_has_ktls() {
  modprobe tls 2>/dev/null || true
  [ -e /proc/net/tls_stat ]
}

harness=${KTLS_HARNESS:-}
if [ -z "$harness" ]; then
  if host_has_ktls; then harness=host; else harness=uml; fi
fi

# What 6.1 lacks or cannot show: KeyUpdate and rekeying (6.14+), records capped for a
# client's max_fragment_length (TLS_TX_MAX_PAYLOAD_LEN, 6.19+), and hostile records; and
# that the probe reports both features on a kernel that has them (the tests above expect
# them by the kernel's release, not by the probe).
QEMU_TESTS='KernelKeyUpdateKernelTest,KernelHostileRecordsKernelTest,KernelRecordLimitKernelTest,'\
'KernelRealClientsKernelTest#opensslMaxFragmentLength*+gnutlsRecordSize*,'\
'KernelRequiredRealClientsKernelTest#maxFragmentLength*,'\
'KernelDataPathKernelTest#probeAcceptsWhatThisKernelVersionOffers'

# Kernels older than 6.19 cannot show the record size cap (and before 6.14 the rekey):
# the QEMU run covers them, after UML and after a host kernel that old (Travis, Vagrant).
kernel_older_than() { # major minor
  local r; r=$(uname -r); local maj=${r%%.*} rest=${r#*.}; local min=${rest%%[.-]*}
  [ "$maj" -lt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -lt "$2" ]; }
}
newest_too=no
if [ "$harness" = uml ] || kernel_older_than 6 19; then newest_too=yes; fi
qemu=no
if [ "$newest_too" = yes ] && { [ "${KTLS_QEMU:-on}" != off ] || [ "${CI:-}" = true ]; }; then qemu=yes; fi

# What this run must leave, for scripts/test-summary.sh: a directory missing, or a class
# or method of QEMU_TESTS that ran nothing, fails the run.
reports=(target/surefire-reports-kernel)
if [ "$qemu" = yes ]; then reports+=("target/surefire-reports-qemu=$QEMU_TESTS"); fi
if [ "${1:-}" = --report-dirs ]; then
  printf '%s\n' "${reports[@]}"
  exit 0
fi

rm -rf target/surefire-reports-kernel target/surefire-reports-qemu
# The interop matrix's kernel columns are this run's alone; the host's (host-*.tsv, from
# the `mvn verify` that `make test` runs first) stay.
rm -f target/interop/linux-*.tsv
mvn_args=(-B -o -q surefire:test -Dtest.groups=kernel -Dtest.excludedGroups=none
          -Dtest.reportsDirectory=target/surefire-reports-kernel -Dsurefire.failIfNoSpecifiedTests=false "$@")
echo "kernel tests: running on the $harness kernel" >&2
case "$harness" in
  host) mvn "${mvn_args[@]}" ;;
  uml)  scripts/with-ktls-kernel.sh -- mvn "${mvn_args[@]}" ;;
  *)    echo "KTLS_HARNESS must be host or uml" >&2; exit 2 ;;
esac

# Selected tests (extra Maven arguments) are not a full run: no floors then.
if [ $# -gt 0 ]; then export KTLS_TEST_FLOORS=off; fi

if [ "$qemu" = yes ]; then
  echo "kernel tests: rekeying, record size caps and hostile records again, on the newest kernel under QEMU" >&2
  scripts/with-qemu-kernel.sh -- mvn -B -o -q surefire:test -Dtest.groups=kernel -Dtest.excludedGroups=none \
    -Dtest.reportsDirectory=target/surefire-reports-qemu -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest="$QEMU_TESTS"
fi

# A run that executed nothing, or left out a harness or a class it was to run, proves nothing.
scripts/test-summary.sh "${reports[@]}" | sed 's/^tests:/kernel tests:/' 
