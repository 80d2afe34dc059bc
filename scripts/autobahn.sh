#!/usr/bin/env bash
# Runs Autobahn|Testsuite's cases (through kosoku, see scripts/kosoku.sh) against a WebSocket
# echo server and prints the counts per result:
#   AUTOBAHN_SERVER=node (default): app.ws() on the node engine (bench/ws/servers/zephyr-node.mjs;
#                                   needs a build of @zephyr/server)
#   AUTOBAHN_SERVER=uring:          app.ws() on the io_uring engine (bench/ws/servers/zephyr-uring.mjs;
#                                   needs a build of @zephyr/server and @zephyr/uring)
#   AUTOBAHN_SERVER=rust:           the Rust sans-IO core, zephyr_uring::ws, on blocking sockets
#                                   (crates/zephyr-uring/examples/ws_echo.rs; built here)
# Usage: bash scripts/autobahn.sh [CASE-GLOB ...]     (default: all 517 cases, ~20 min)
#        AUTOBAHN_OUT=dir to keep the reports (default: a temporary directory).
# Exits 1 when any case is FAILED (behaviour or close behaviour).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kosoku="$(bash "$root/scripts/kosoku.sh")"
out="${AUTOBAHN_OUT:-$(mktemp -d)}"
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
case "${AUTOBAHN_SERVER:-node}" in
  node) PORT="$port" node "$root/bench/ws/servers/zephyr-node.mjs" >"$out/server.log" 2>&1 & ;;
  uring) PORT="$port" node "$root/bench/ws/servers/zephyr-uring.mjs" >"$out/server.log" 2>&1 & ;;
  rust)
    (cd "$root" && cargo build --quiet --release -p zephyr-uring --example ws_echo)
    "${CARGO_TARGET_DIR:-$root/target}/release/examples/ws_echo" "127.0.0.1:$port" >"$out/server.log" 2>&1 &
    ;;
  *) echo "AUTOBAHN_SERVER must be node, uring or rust" >&2; exit 2 ;;
esac
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q listening "$out/server.log" 2>/dev/null && break
  sleep 0.1
done
args=()
for glob in "$@"; do args+=(-i "$glob"); done
"$kosoku" "${args[@]}" -o "$out" "127.0.0.1:$port" >"$out/kosoku.log" 2>&1 || true
python3 - "$out/index.json" <<'PY'
import collections, json, sys
cases = next(iter(json.load(open(sys.argv[1])).values()))
counts = collections.Counter()
failed = []
for case, r in cases.items():
    worst = r["behavior"] if r["behavior"] != "OK" else r["behaviorClose"]
    counts[worst] += 1
    if "FAILED" in (r["behavior"], r["behaviorClose"]):
        failed.append(case)
print(f"autobahn: {len(cases)} cases: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
if failed:
    print("FAILED: " + " ".join(sorted(failed)))
    sys.exit(1)
PY
echo "reports in $out"
