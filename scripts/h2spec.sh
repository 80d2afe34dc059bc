#!/usr/bin/env bash
# Installs h2spec v2.2.1 when missing (Go module proxy; cached in ~/.cache/zephyr/h2spec) and runs
# it against crates/zephyr-h2's example server: h2c prior knowledge and TLS, each normal and strict.
#
#   bash scripts/h2spec.sh            # install if missing, build the example, run all four runs
#   bash scripts/h2spec.sh --install  # only install; prints the binary's path
#   H2_SERVER=path/to/h2_server bash scripts/h2spec.sh   # use an already built example
#
# Exits non-zero when any case fails or any run's totals differ from every case passing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ZEPHYR_TOOLS_CACHE:-$HOME/.cache/zephyr}/h2spec"
H2SPEC="$CACHE/bin/h2spec"

install_h2spec() {
  [ -x "$H2SPEC" ] && return 0
  command -v go >/dev/null || { echo "h2spec.sh: go is required to install h2spec" >&2; exit 1; }
  echo "== installing h2spec v2.2.1 into $CACHE" >&2
  mkdir -p "$CACHE/build"
  (
    cd "$CACHE/build"
    # h2spec v2.2.1 has no go.mod: a tiny module pins its dependencies (versions proven here).
    [ -f go.mod ] || go mod init local/h2spec-build >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/summerwind/h2spec/cmd/h2spec"\n' > tools.go
    go get github.com/summerwind/h2spec@v2.2.1+incompatible golang.org/x/net@v0.62.0 \
      github.com/spf13/cobra@v1.10.2 github.com/fatih/color@v1.19.0 >&2
    GOBIN="$CACHE/bin" go install github.com/summerwind/h2spec/cmd/h2spec
  )
}

install_h2spec
if [ "${1:-}" = "--install" ]; then
  echo "$H2SPEC"
  exit 0
fi

cd "$ROOT"
# H2_SERVER: an already built example (the Rust test passes the one `cargo test` built).
if [ -n "${H2_SERVER:-}" ]; then
  SERVER="$H2_SERVER"
else
  cargo build -q --release -p zephyr-h2 --example h2_server
  SERVER="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/h2_server"
fi
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the example on a free port and sets PORT once it listens. Runs in this shell (not in a
# command substitution) so its pid reaches PIDS and the trap stops it.
start_server() {
  local portfile="$WORK/port.$1"
  "$SERVER" --port 0 --port-file "$portfile" ${2:+$2} >"$WORK/server.$1.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 300); do
    if [ -s "$portfile" ]; then PORT="$(cat "$portfile")"; return 0; fi
    sleep 0.1
  done
  echo "h2spec.sh: the example server did not start ($1)" >&2
  cat "$WORK/server.$1.log" >&2
  exit 1
}

start_server h2c
H2C_PORT="$PORT"
start_server tls --tls
TLS_PORT="$PORT"

status=0
run() {
  local name="$1" expect="$2"
  shift 2
  local out="$WORK/$name.out"
  # -o 10: the default 2 s per case is too short on a loaded machine.
  "$H2SPEC" -h 127.0.0.1 -o 10 "$@" >"$out" 2>&1 || true
  local summary
  # PING payloads in failure reports hold NUL bytes: read the report as text without them.
  summary="$(tr -d '\000' <"$out" | grep -E '^[0-9]+ tests, [0-9]+ passed' | tail -1)"
  echo "$name: ${summary:-no summary}"
  if [ "$summary" != "$expect tests, $expect passed, 0 skipped, 0 failed" ]; then
    status=1
    tr -d '\000' <"$out" | sed -n '/^Failures:/,$p'
  fi
}
run h2c 145 -p "$H2C_PORT"
run h2c-strict 146 -p "$H2C_PORT" -S
run tls 145 -p "$TLS_PORT" -t -k
run tls-strict 146 -p "$TLS_PORT" -t -k -S
exit "$status"
