#!/usr/bin/env bash
# The profilers the load test's `work` section counts with: Debian's valgrind
# (callgrind: user-space instructions) and linux-perf (`perf stat`: system calls).
#
#   scripts/profilers.sh install   installs both when missing (apt-get update once,
#                                  then apt-get install -y; run as root, as CI does)
#
# `cargo xtask loadtest` runs `install` itself before the section, and fails with
# this command when a tool still does not run.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"

install() {
  local missing=()
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
  perf --version >/dev/null 2>&1 || missing+=(linux-perf)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "profilers: valgrind and perf are installed"
    return
  fi
  apt_install profilers "${missing[@]}"
}

case "${1:-}" in
  install) install ;;
  *)
    echo "usage: scripts/profilers.sh install" >&2
    exit 2
    ;;
esac
