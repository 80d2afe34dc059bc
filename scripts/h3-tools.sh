#!/usr/bin/env bash
# h3-tools.sh — install the HTTP/3 clients the zephyr-h3 interop tests use, when missing
# (idempotent; recipes proven in the shared protocol-tools notes):
#   - ngtcp2's example client `gtlsclient` (Debian ngtcp2-client; needs root for apt)
#   - Debian chromium (headless, forced onto QUIC) and openssl (the test pins the cert's SPKI)
#   - a venv at ~/.cache/zephyr/h3-venv with aioquic 1.7.2 (+ its example client from the sdist,
#     which pip does not install) and curl_cffi (libcurl with ngtcp2 + nghttp3)
# Prints the paths the tests read: ZEPHYR_H3_VENV and ZEPHYR_H3_AIOQUIC_EXAMPLES.
set -euo pipefail
CACHE="${ZEPHYR_CACHE_DIR:-$HOME/.cache/zephyr}"
VENV="$CACHE/h3-venv"
SDIST="$CACHE/h3-sdist"
AIOQUIC=1.7.2
CURL_CFFI=0.17.0

APT=()
command -v gtlsclient >/dev/null 2>&1 || APT+=(ngtcp2-client)
command -v chromium >/dev/null 2>&1 || APT+=(chromium)
command -v openssl >/dev/null 2>&1 || APT+=(openssl)
if [ "${#APT[@]}" -gt 0 ]; then
  echo "h3-tools: apt-get install ${APT[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT[@]}" >/dev/null; }
fi

mkdir -p "$CACHE"
if [ ! -x "$VENV/bin/python" ]; then
  echo "h3-tools: python venv $VENV" >&2
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import aioquic, curl_cffi, sys; sys.exit(aioquic.__version__ != '$AIOQUIC')" 2>/dev/null; then
  echo "h3-tools: pip install aioquic==$AIOQUIC curl_cffi==$CURL_CFFI" >&2
  # wsproto/starlette/jinja2 are imported by the aioquic examples' shared modules.
  "$VENV/bin/pip" install -q "aioquic==$AIOQUIC" "curl_cffi==$CURL_CFFI" wsproto==1.3.2 starlette==1.10.0 jinja2==3.1.6 >&2
fi
if [ ! -f "$SDIST/aioquic-$AIOQUIC/examples/http3_client.py" ]; then
  echo "h3-tools: aioquic $AIOQUIC sdist (examples/http3_client.py)" >&2
  mkdir -p "$SDIST"
  "$VENV/bin/pip" download -q --no-deps --no-binary :all: -d "$SDIST" "aioquic==$AIOQUIC" >&2
  tar -xzf "$SDIST/aioquic-$AIOQUIC.tar.gz" -C "$SDIST"
fi
echo "ZEPHYR_H3_VENV=$VENV"
echo "ZEPHYR_H3_AIOQUIC_EXAMPLES=$SDIST/aioquic-$AIOQUIC/examples"
