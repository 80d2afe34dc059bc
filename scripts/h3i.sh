#!/usr/bin/env bash
# Replays the hostile HTTP/3 cases in crates/zephyr-h3/tests/h3i/ (qlog JSON-SEQ, one RFC 9114
# violation each) with Cloudflare's h3i against a server, and checks each case's expected
# outcome (expected.tsv: a connection close code, a stream reset code, or a response status)
# from h3i's connection summary. Prints a summary; exits non-zero on any mismatch.
#
#   scripts/h3i.sh                      # starts crates/zephyr-h3's examples/h3_server
#   scripts/h3i.sh --engine uring       # starts @zephyr/uring with http3 (scripts/h3i-uring-server.mjs;
#                                       # needs `turbo run build --filter=@zephyr/uring` first)
#   scripts/h3i.sh --host 127.0.0.1 --port 4433   # against a server already listening
#
# h3i 0.7 is built once into ~/.cache/zephyr/h3i (BoringSSL: cmake + libclang, ~8-18 min).
# Outside the default test command for that reason.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CASES="$ROOT/crates/zephyr-h3/tests/h3i"
H3I_ROOT="${H3I_ROOT:-$HOME/.cache/zephyr/h3i}"
H3I="$H3I_ROOT/bin/h3i"
HOST=127.0.0.1
PORT=""
ENGINE=example
while [ $# -gt 0 ]; do
  case "$1" in
    --host) HOST="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --engine) ENGINE="$2"; shift 2 ;;
    *) echo "usage: $0 [--engine example|uring] [--host H --port P]" >&2; exit 2 ;;
  esac
done

if [ ! -x "$H3I" ]; then
  # boring-sys runs bindgen, which needs libclang ("Unable to find libclang" without it).
  if ! dpkg -s libclang-dev >/dev/null 2>&1; then
    apt-get install -y -qq libclang-dev >/dev/null
  fi
  echo "== building h3i 0.7 into $H3I_ROOT (slow: BoringSSL)"
  nice -n 19 cargo install h3i --locked --version 0.7.0 --root "$H3I_ROOT"
fi

SERVER_PID=""
cleanup() { [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT
if [ -z "$PORT" ]; then
  PORT_FILE="$(mktemp)"
  rm -f "$PORT_FILE"
  case "$ENGINE" in
    example)
      (cd "$ROOT" && cargo build -q -p zephyr-h3 --example h3_server)
      "$ROOT/target/debug/examples/h3_server" --port 0 --port-file "$PORT_FILE" >/tmp/h3i-server.log 2>&1 &
      ;;
    uring)
      node "$ROOT/scripts/h3i-uring-server.mjs" "$PORT_FILE" >/tmp/h3i-server.log 2>&1 &
      ;;
    *) echo "unknown --engine $ENGINE (example or uring)" >&2; exit 2 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 300); do [ -s "$PORT_FILE" ] && break; sleep 0.1; done
  [ -s "$PORT_FILE" ] || { echo "the server did not start: $(cat /tmp/h3i-server.log)" >&2; exit 1; }
  PORT="$(cat "$PORT_FILE")"
  rm -f "$PORT_FILE"
fi
echo "== h3i $($H3I --version 2>/dev/null || true) against $HOST:$PORT ($ENGINE)"

OUT="$(mktemp -d)"
pass=0; fail=0; failed=""
# h3i keeps only the file name of --qlog-input: run it from the cases folder.
cd "$CASES"
while IFS=$'\t' read -r name expected why; do
  case "$name" in ''|\#*) continue ;; esac
  RUST_LOG=h3i=debug timeout 30 "$H3I" "$HOST:$PORT" --no-verify --idle-timeout 3000 \
    --no-qlog-actions-output --qlog-input "$name.sqlog" >"$OUT/$name.log" 2>&1 || true
  got="$(python3 - "$OUT/$name.log" <<'PY'
import json, sys
text = open(sys.argv[1], errors="replace").read()
mark = "received connection_summary: "
at = text.rfind(mark)
if at < 0:
    print("no summary"); sys.exit()
summary, _ = json.JSONDecoder().raw_decode(text[at + len(mark):])
found = []
err = summary.get("error", {})
for side in ("peer_error", "local_error"):
    e = err.get(side)
    if e:
        found.append(("close" if side == "peer_error" else "local-close") + " " + hex(e["error_code"]))
def walk(node):
    if isinstance(node, dict):
        if "reset_stream" in node and isinstance(node["reset_stream"], dict):
            found.append("reset " + hex(node["reset_stream"]["error_code"]))
        for h in node.get("headers", []) if isinstance(node.get("headers"), list) else []:
            if isinstance(h, dict) and h.get("name") == ":status":
                found.append("status " + h.get("value", ""))
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(summary.get("stream_map", {}))
print(", ".join(found) if found else "nothing")
PY
)"
  if printf '%s' "$got" | grep -qF "$expected"; then
    pass=$((pass + 1)); printf 'PASS %-28s %-12s (%s)\n' "$name" "$expected" "$got"
  else
    fail=$((fail + 1)); failed="$failed $name"
    printf 'FAIL %-28s expected %s, got %s   [%s]\n' "$name" "$expected" "$got" "$why"
  fi
done < expected.tsv
echo "== h3i: $pass passed, $fail failed${failed:+ (failed:$failed)}; logs in $OUT"
[ "$fail" -eq 0 ]
