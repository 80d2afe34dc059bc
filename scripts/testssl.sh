#!/usr/bin/env bash
# Installs Debian's testssl.sh if it is missing (idempotent) and prints the path of `testssl`.
# Usage: bash scripts/testssl.sh            -> prints the testssl path
#        bash scripts/testssl.sh run ARGS   -> runs testssl ARGS
set -euo pipefail
if ! command -v testssl >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y --no-install-recommends testssl.sh >&2 \
    || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends testssl.sh >&2; }
fi
BIN="$(command -v testssl)"
if [ "${1:-}" = run ]; then
  shift
  exec "$BIN" "$@"
fi
echo "$BIN"
