#!/usr/bin/env bash
# Installs everything the tests need and runs every test: Rust (cargo), then each package's build,
# typecheck and tests (turbo), then lint. This is the README's test command and what CI runs.
#
# Services: PostgreSQL and NATS are installed (Debian, root or sudo) and started on loopback,
# unless ZEPHYR_TEST_PG_URL / NATS_URL already point at running ones; then those are used as they
# are. Without root or sudo nothing is installed: what is missing is named, and the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM=(npx -y pnpm@12.4.2)
log=$(mktemp /tmp/zephyr-test-all.XXXXXX.log)
skipped=()

# ---- system packages -------------------------------------------------------------------------
# Debian names, installed only when missing. tmux drives the CLI's interactive-prompt test.
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v tmux >/dev/null || missing+=(tmux)
# wrk keeps load on the app through the hot-reload test (zephyr dev).
command -v wrk >/dev/null || missing+=(wrk)
# openssl makes the TLS tests' certificates; python3 runs the seccomp launcher of the engine-selection test.
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3)
# python3's venv module (Debian ships it apart) makes kosoku's venv.
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
# chromium runs the real-browser WebSocket test (driven by playwright-core).
command -v chromium >/dev/null || missing+=(chromium)
# nghttp (HTTP/2 client tests) comes with h2load, which the HTTP/2 benchmark uses.
command -v nghttp >/dev/null || missing+=(nghttp2-client)
if [ -z "${ZEPHYR_TEST_PG_URL:-}" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
else
  command -v psql >/dev/null || missing+=(postgresql-client)
fi
[ -n "${NATS_URL:-}" ] || command -v nats-server >/dev/null || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo); else SUDO=(none); fi
  fi
  if [ "${SUDO[0]:-}" = none ] || ! command -v apt-get >/dev/null; then
    echo "==> not installing ${missing[*]}: no root, no passwordless sudo, or no apt-get; tests that need them will fail"
    skipped+=("installing ${missing[*]}")
  else
    echo "==> installing system packages: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

# ---- services ------------------------------------------------------------------------------
[ -n "${ZEPHYR_TEST_PG_URL:-}" ] && skipped+=("starting PostgreSQL (using ZEPHYR_TEST_PG_URL)")
[ -n "${NATS_URL:-}" ] && skipped+=("starting nats-server (using NATS_URL)")
if [ -n "${ZEPHYR_TEST_PG_URL:-}" ] && [ -z "${ZEPHYR_TEST_PG_CTL:-}" ]; then
  echo "==> note: ZEPHYR_TEST_PG_CTL is not set: the PostgreSQL restart tests need a command that restarts that server"
fi
echo "==> services: PostgreSQL and NATS on loopback"
eval "$(bash .ci/services.sh)"
echo "    ZEPHYR_TEST_PG_URL=${ZEPHYR_TEST_PG_URL:-(none)} NATS_URL=${NATS_URL:-(none)}"

echo "==> installing JS dependencies"
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only

# The tracer's integration test runs a real Jaeger, built from the Go module proxy once and
# cached outside the repo (~11 min cold on 2 cores); later runs find it at once. A cold build runs
# in the background beside cargo and the TypeScript build, which leave cores idle while they link
# and finish single-crate tails, and is awaited before the tests, the first step that needs it.
echo "==> Jaeger for the tracer's integration test (built only when missing, in the background)"
jaeger_log=$(mktemp /tmp/zephyr-jaeger.XXXXXX.log)
bash scripts/jaeger.sh >"$jaeger_log" 2>&1 &
jaeger_pid=$!
# h2spec checks the HTTP/2 core's conformance (cargo test runs it); cached outside the repo.
echo "==> h2spec for the HTTP/2 conformance test (installed only when missing)"
bash scripts/h2spec.sh --install >/dev/null
# HTTP/3 clients (ngtcp2, aioquic, curl_cffi in a venv outside the repo) for the interop tests of zephyr-h3 and @zephyr/uring.
echo "==> HTTP/3 clients for the zephyr-h3 interop tests (installed only when missing)"
bash scripts/h3-tools.sh >/dev/null
# testssl.sh grades the io_uring HTTPS listener (the uring package's test runs it).
echo "==> testssl.sh for the TLS grading test (installed only when missing)"
bash scripts/testssl.sh >/dev/null
# kosoku runs Autobahn's WebSocket cases; a venv outside the repo, made only when missing.
echo "==> kosoku for the Autobahn WebSocket cases (installed only when missing)"
bash scripts/kosoku.sh >/dev/null

# ---- Rust ----------------------------------------------------------------------------------
echo "==> cargo fmt, clippy, test"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace 2>&1 | tee -a "$log"

# ---- TypeScript ----------------------------------------------------------------------------
echo "==> build, typecheck, test (turbo)"
"${PNPM[@]}" exec turbo run build
if ! wait "$jaeger_pid"; then
  cat "$jaeger_log" >&2
  echo "building Jaeger failed (log above)" >&2
  exit 1
fi
"${PNPM[@]}" exec turbo run typecheck test --concurrency=1 --output-logs=full 2>&1 | tee -a "$log"

# ---- lint ----------------------------------------------------------------------------------
echo "==> lint (biome)"
"${PNPM[@]}" exec biome check .

# ---- summary -------------------------------------------------------------------------------
for what in "${skipped[@]+"${skipped[@]}"}"; do echo "skipped: ${what}"; done
# One closing line for the whole run, summed from cargo's and vitest's own summaries.
strip() { sed -e 's/\x1b\[[0-9;]*m//g' "$log"; }
passed=$(strip | awk '/test result: ok\./ { s += $4 } / Tests +[0-9]+ passed/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) s += $i } END { print s + 0 }')
echo "all: ${passed} passed, 0 failed"
