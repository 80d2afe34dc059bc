#!/usr/bin/env bash
# Builds the Jaeger all-in-one binary (v1.76.0) from the Go module proxy into a cache outside the
# repo, only when it is missing, and prints its path. The tracer's integration test runs it.
# Its go.mod has replace directives, so `go install pkg@version` is refused: build inside a
# throwaway module instead (~11 min cold on 2 cores).
set -euo pipefail
JAEGER_VERSION=v1.76.0
dir="${ZEPHYR_JAEGER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zephyr/jaeger}"
bin="$dir/bin/jaeger"
stamp="$dir/bin/.version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$JAEGER_VERSION" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "go not found: install Go (https://go.dev/dl) to build Jaeger" >&2; exit 1; }
mkdir -p "$dir/bin"
cd "$dir"
# One build at a time: parallel test runs share the cache.
exec 9>"$dir/.lock"
flock 9
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$JAEGER_VERSION" ]; then
  echo "$bin"
  exit 0
fi
[ -f go.mod ] || go mod init local/jaeger-tool >&2
echo "==> building jaeger $JAEGER_VERSION (first time only, several minutes)" >&2
go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
go build -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
mv "$bin.tmp" "$bin"
echo "$JAEGER_VERSION" >"$stamp"
echo "$bin"
