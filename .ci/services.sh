#!/usr/bin/env bash
# Starts the real services the test suite talks to, on loopback, and prints the environment that
# points tests at them. Idempotent: a service already answering is left alone. A service whose
# URL is already in the environment (ZEPHYR_TEST_PG_URL, NATS_URL) is used as it is, not started.
#   eval "$(bash .ci/services.sh)"
# Needs Debian's postgresql and nats-server (installed by scripts/test-all.sh) for what it starts.
# Without root, PostgreSQL runs as the current user.
set -euo pipefail

PG_PORT=${ZEPHYR_TEST_PG_PORT:-54329}
PG_DATA=${ZEPHYR_TEST_PG_DATA:-/tmp/zephyr-test-pg}
NATS_PORT=${ZEPHYR_TEST_NATS_PORT:-42229}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -n "${ZEPHYR_TEST_PG_URL:-}" ]; then
  echo "export ZEPHYR_TEST_PG_URL='$ZEPHYR_TEST_PG_URL'"
  [ -n "${ZEPHYR_TEST_PG_CTL:-}" ] && echo "export ZEPHYR_TEST_PG_CTL='$ZEPHYR_TEST_PG_CTL'"
elif [ -n "$PG_BIN" ]; then
  if ! as_postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      mkdir -p "$PG_DATA"; [ "$(id -u)" = 0 ] && chown postgres "$PG_DATA"
      as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync >/dev/null
    fi
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -s \
      -o "-h 127.0.0.1 -p $PG_PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -k /tmp" start >&2
    as_postgres "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE zephyr_test" >/dev/null 2>&1 || true
  fi
  echo "export ZEPHYR_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/zephyr_test"
  # Tests that restart PostgreSQL mid-run call: $ZEPHYR_TEST_PG_CTL restart
  if [ "$(id -u)" = 0 ]; then
    echo "export ZEPHYR_TEST_PG_CTL='runuser -u postgres -- $PG_BIN/pg_ctl -D $PG_DATA -w -s'"
  else
    echo "export ZEPHYR_TEST_PG_CTL='$PG_BIN/pg_ctl -D $PG_DATA -w -s'"
  fi
fi

if [ -n "${NATS_URL:-}" ]; then
  echo "export NATS_URL='$NATS_URL'"
elif command -v nats-server >/dev/null; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/"$NATS_PORT") 2>/dev/null; then
    nohup nats-server -a 127.0.0.1 -p "$NATS_PORT" >/tmp/zephyr-test-nats.log 2>&1 &
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$NATS_PORT") 2>/dev/null && break; sleep 0.1; done
  fi
  echo "export NATS_URL=nats://127.0.0.1:$NATS_PORT"
fi
