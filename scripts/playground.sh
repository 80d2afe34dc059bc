#!/usr/bin/env bash
# Installs, builds what the playground and the `zephyr` command need, and starts the playground on
# embedded defaults (PGlite). Each step says what it is doing: the first build compiles Rust.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM=(npx -y pnpm@12.4.2)
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

echo "==> [1/3] installing JavaScript dependencies (pnpm)"
"${PNPM[@]}" install --frozen-lockfile --reporter=silent

echo "==> [2/3] building the Rust io_uring engine and the TypeScript packages"
echo "    The first build compiles Rust: a few minutes on 2 cores, with cargo's progress below."
echo "    Later runs take seconds: turbo replays unchanged packages from its cache."
"${PNPM[@]}" exec turbo run build --filter=@zephyr/playground... --filter=@zephyr/cli... \
  --output-logs=new-only --log-prefix=task

echo "==> [3/3] starting the playground (Ctrl-C stops it; \`npx zephyr --help\` works in this clone now)"
cd apps/playground && exec node dist/main.js
