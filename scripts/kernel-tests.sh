#!/usr/bin/env bash
# Runs the kernel TLS tests (JUnit tag "kernel") on a kernel that has kernel TLS:
#   - the host kernel, when TCP_ULP "tls" works here (modprobe tls is tried first);
#   - otherwise the User-Mode Linux test kernel, through scripts/with-ktls-kernel.sh.
# Expects `mvn test-compile` (or `make build`) to have run, so it can go offline.
# Extra arguments go to Maven, e.g. -Dtest=KernelDataPathKernelTest.
# KTLS_HARNESS=host|uml forces one; with CI=true a kernel that cannot run them fails.
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

rm -rf target/surefire-reports-kernel
mvn_args=(-B -o -q surefire:test -Dtest.groups=kernel -Dtest.excludedGroups=none
          -Dtest.reportsDirectory=target/surefire-reports-kernel -Dsurefire.failIfNoSpecifiedTests=false "$@")
echo "kernel tests: running on the $harness kernel" >&2
case "$harness" in
  host) mvn "${mvn_args[@]}" ;;
  uml)  scripts/with-ktls-kernel.sh -- mvn "${mvn_args[@]}" ;;
  *)    echo "KTLS_HARNESS must be host or uml" >&2; exit 2 ;;
esac

# A run that executed nothing proves nothing.
scripts/test-summary.sh target/surefire-reports-kernel | sed 's/^tests:/kernel tests:/' 
