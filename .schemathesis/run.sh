#!/usr/bin/env bash
# Schema fuzzing of the Imagegram API with schemathesis (all phases, all checks), in two passes:
# one with a user's token, one with the admin's. Each pass gets a fresh server on free loopback
# ports and fresh seeded data (seed.py). Exits non-zero when either pass finds a failure.
#
# Usage: .schemathesis/run.sh [PATH_TO_IMAGEGRAM_BINARY]     (default: target/debug/imagegram)
# Environment:
#   ST           schemathesis CLI to use (default: `st` on PATH, else installed into ST_VENV)
#   ST_VENV      venv for schemathesis==4.32.5 when it has to be installed (default /tmp/venv-st)
#   MAX_TIME     time budget of one pass in seconds (default 120); max-examples is in schemathesis.toml
#   REPORT_DIR   where the JSON/NDJSON/JUnit reports and server logs go (default: a new temp dir)
#   SEED         schemathesis random seed, for a reproducible run (default: random)
#   SCHEMA_FILE  test against this OpenAPI file instead of the server's /openapi.json (to try a
#                schema change without rebuilding)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${1:-$ROOT/target/debug/imagegram}"
MAX_TIME="${MAX_TIME:-120}"
REPORT_DIR="${REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/imagegram-schemathesis.XXXXXX")}"
mkdir -p "$REPORT_DIR"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
[ -x "$BIN" ] || { echo "run.sh: no executable at $BIN" >&2; exit 2; }

if [ -z "${ST:-}" ]; then
  if command -v st >/dev/null 2>&1; then
    ST="$(command -v st)"
  else
    ST_VENV="${ST_VENV:-/tmp/venv-st}"
    if ! "$ST_VENV/bin/pip" freeze 2>/dev/null | grep -qx 'schemathesis==4.32.5'; then
      python3 -m venv "$ST_VENV"
      "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
    fi
    ST="$ST_VENV/bin/st"
  fi
fi

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

# Two adjacent free loopback ports: API on $PORT, object endpoint on $PORT+1.
free_port_pair() { python3 "$HERE/../bench/free_port_pair.py"; }

start_server() { # $1: name of the pass
  local data="$REPORT_DIR/$1-data"
  rm -rf "$data"; mkdir -p "$data"
  PORT="$(free_port_pair)"
  BASE="http://127.0.0.1:$PORT"
  IMAGEGRAM_ADMIN="admin:admin-password" "$BIN" serve \
    --addr "127.0.0.1:$PORT" --s3-addr "127.0.0.1:$((PORT + 1))" --data-dir "$data" \
    >"$REPORT_DIR/$1-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "run.sh: the server did not become healthy; log:" >&2
  tail -n 50 "$REPORT_DIR/$1-server.log" >&2
  exit 2
}

run_pass() { # $1: user|admin
  local pass="$1" rc=0
  start_server "$pass"
  IMAGEGRAM_ADMIN="admin:admin-password" python3 "$HERE/seed.py" "$BASE" >"$REPORT_DIR/$pass-seed.env"
  # shellcheck disable=SC1090
  . "$REPORT_DIR/$pass-seed.env"
  if [ "$pass" = admin ]; then
    export FUZZ_TOKEN="$ADMIN_TOKEN" FUZZ_UPLOAD_ID="$ADMIN_UPLOAD_ID" FUZZ_IMAGE_ID="$ADMIN_IMAGE_ID"
  else
    export FUZZ_TOKEN="$USER_TOKEN" FUZZ_UPLOAD_ID="$UPLOAD_ID" FUZZ_IMAGE_ID="$IMAGE_ID"
  fi
  export FUZZ_POST_ID="$POST_ID" FUZZ_TIER_NAME="$TIER_NAME" FUZZ_USERNAME="$VICTIM_USERNAME"
  export FUZZ_CACHE_DIR="$REPORT_DIR/cache" FUZZ_HOOKS="$HERE/hooks.py"
  echo "=== schemathesis, $pass pass, $BASE (max $MAX_TIME s) ==="
  local location=("$BASE/openapi.json")
  [ -z "${SCHEMA_FILE:-}" ] || location=("$SCHEMA_FILE" --url "$BASE")
  "$ST" --config-file "$HERE/schemathesis.toml" run "${location[@]}" \
    --phases examples,coverage,fuzzing,stateful --checks all \
    --max-time "$MAX_TIME" ${SEED:+--seed "$SEED"} --no-color \
    --report json,ndjson,junit --report-dir "$REPORT_DIR/$pass" || rc=$?
  stop_server
  if grep -q 'panicked' "$REPORT_DIR/$pass-server.log"; then
    echo "run.sh: the server panicked during the $pass pass:" >&2
    grep -m 5 'panicked' "$REPORT_DIR/$pass-server.log" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  return "$rc"
}

status=0
run_pass user || status=1
run_pass admin || status=1
echo "reports and server logs: $REPORT_DIR"
exit "$status"
