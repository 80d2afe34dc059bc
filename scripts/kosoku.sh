#!/usr/bin/env bash
# Installs kosoku 0.1.0 (runs Autobahn|Testsuite's own case files; Autobahn itself is Python 2)
# into a cached venv, idempotently, and prints the path of its executable.
# Usage: bash scripts/kosoku.sh            -> prints the kosoku path
#        bash scripts/kosoku.sh run ARGS   -> runs kosoku ARGS
set -euo pipefail
KOSOKU_VERSION=0.1.0
VENV="${ZEPHYR_KOSOKU_VENV:-$HOME/.cache/zephyr/kosoku-venv}"
BIN="$VENV/bin/kosoku"
if ! { [ -x "$BIN" ] && "$VENV/bin/pip" show kosoku 2>/dev/null | grep -qx "Version: $KOSOKU_VERSION"; }; then
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kosoku==$KOSOKU_VERSION" >&2
fi
if [ "${1:-}" = run ]; then
  shift
  exec "$BIN" "$@"
fi
echo "$BIN"
