#!/usr/bin/env bash
# Installs, builds what the playground needs, and starts it on embedded defaults (PGlite).
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM=(npx -y pnpm@12.4.2)
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
"${PNPM[@]}" install --frozen-lockfile --reporter=silent
"${PNPM[@]}" exec turbo run build --filter=@zephyr/playground... --output-logs=errors-only
cd apps/playground && exec node dist/main.js
