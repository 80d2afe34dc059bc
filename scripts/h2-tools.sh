#!/usr/bin/env bash
# Installs what the HTTP/2 tests and benchmark need, each only when missing (idempotent):
#   curl (--http2, --http2-prior-knowledge), nghttp + h2load (nghttp2-client), nghttpd
#   (nghttp2-server, the benchmark's native peer), chromium (the browser test), openssl (certs).
# h2spec comes from the Go module proxy, built by the h2spec test itself when missing
# (or by scripts/h2spec.sh where the repository has it).
set -euo pipefail
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v nghttp >/dev/null && command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nghttpd >/dev/null || missing+=(nghttp2-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo); else
    echo "h2-tools.sh: cannot install ${missing[*]}: not root and no passwordless sudo" >&2
    exit 1
  fi
fi
command -v apt-get >/dev/null || { echo "h2-tools.sh: no apt-get to install ${missing[*]}" >&2; exit 1; }
echo "==> installing ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
