# shellcheck shell=bash
# Shared by the kernel harnesses (with-ktls-kernel.sh, with-qemu-kernel.sh); sourced,
# not run. The caller sets HARNESS_NAME (its prefix in messages) before sourcing.

die() { echo "$HARNESS_NAME: $*" >&2; exit 1; }
say() { echo "$HARNESS_NAME: $*" >&2; }

# Parses [--mem SIZE] [--] COMMAND [ARG...]: sets HARNESS_MEM (default 2G) and the
# array HARNESS_COMMAND. -h prints the calling script's header comment.
# shellcheck disable=SC2034 # HARNESS_MEM is read by the scripts that source this one
harness_parse_args() {
  HARNESS_MEM=2G
  while [ $# -gt 0 ]; do
    case "$1" in
      --mem) HARNESS_MEM="$2"; shift 2 ;;
      --) shift; break ;;
      -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
      *) break ;;
    esac
  done
  [ $# -gt 0 ] || { echo "usage: $0 [--mem SIZE] -- COMMAND [ARG...]" >&2; exit 2; }
  HARNESS_COMMAND=("$@")
}

# Installs the Debian packages named that are missing (scripts/apt-install.sh).
harness_install() {
  [ $# -gt 0 ] || return 0
  say "installing $*"
  "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "$@" || die "could not install $*"
}

# Writes the script the guest runs: the caller's directory, the environment that
# crosses over (PATH, HOME, JAVA_HOME, CI, MAVEN_OPTS, KTLS_*, BENCH_*), then HARNESS_COMMAND.
harness_write_command() {
  {
    printf 'cd %q\n' "$PWD"
    local v
    for v in PATH HOME JAVA_HOME CI MAVEN_OPTS $(compgen -e | grep -E '^(KTLS|BENCH)_' || true); do
      [ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    printf '%q ' "${HARNESS_COMMAND[@]}"; printf '\n'
  } > "$1"
}
