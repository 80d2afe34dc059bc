#!/usr/bin/env bash
# Installs everything the tests need and runs every test: Rust (cargo test), then each package's
# build, typecheck and tests (turbo), then lint. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM=(npx -y pnpm@12.4.2)
log=$(mktemp /tmp/zephyr-test-all.XXXXXX.log)

# System packages the tests talk to for real. Debian names; installed only when missing.
missing=()
command -v curl >/dev/null || missing+=(curl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v nats-server >/dev/null || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

echo "==> starting PostgreSQL and nats-server on loopback"
eval "$(bash .ci/services.sh)"

echo "==> installing JS dependencies"
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only

echo "==> cargo fmt, clippy, test"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace 2>&1 | tee -a "$log"

echo "==> build, typecheck, test (turbo)"
"${PNPM[@]}" exec turbo run build
"${PNPM[@]}" exec turbo run typecheck test --concurrency=1 --output-logs=full 2>&1 | tee -a "$log"

echo "==> lint (biome)"
"${PNPM[@]}" exec biome check .

# One closing line for the whole run, summed from cargo's and vitest's own summaries.
strip() { sed -e 's/\x1b\[[0-9;]*m//g' "$log"; }
passed=$(strip | awk '/test result: ok\./ { s += $4 } / Tests +[0-9]+ passed/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) s += $i } END { print s + 0 }')
echo "all: ${passed} passed, 0 failed"
