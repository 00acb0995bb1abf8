#!/usr/bin/env bash
# Mixed-load benchmark (80% feed pages, 5% single posts, 15% comment creates from many users) of a
# fresh `imagegram serve` on free loopback ports, with consistency checks, including one after a
# `kill -9` of the server in the middle of the load and a restart on the same data dir.
#
# Usage: bench/load.sh [--posts N] [--comments N] [--users N] [--duration S] [--rates LIST]
#                      [--search-from R] [--search-step R] [--search-max R] [--workers N]
#                      [--kill-rate R] [--no-kill] [--keep]
# Defaults: 10,000 posts, 100,000 comments, 2,000 users, 20 s per step, fixed rates 100,1000, then
# steps of 1000 req/s from 1000 up to the first that fails (achieved < 95% of target, p99 > 50 ms or
# errors > 0.1%) and two bisection steps; the kill run is at 500 req/s, killed halfway.
# Smoke test (about 1.5 min): bench/load.sh --posts 300 --comments 3000 --users 500 --duration 5
# The full default took 12.5 min on 2 busy cores, most of it seeding (~10 min: argon2 logins and
# uploads); the load steps and checks take about 3 min.
# --users bounds the comment creates the client can send while staying under the server's 60 per
# minute per user (it keeps each user at 57 a window): about 0.95 x users per second, so at a 15%
# share the mix can go up to ~6 x users req/s (12,000 with the default 2,000) before it skips creates.
# Environment: IMAGEGRAM_BIN (default target/release/imagegram), LOAD_DIR (work dir: state, results,
# server logs, data; default a new temp dir, removed at the end unless --keep; a given LOAD_DIR is
# kept), LOAD_VENV (default bench/.venv-load). Everything stays on 127.0.0.1. Needs python3 (3.11)
# with venv; installs the pinned aiohttp (and uvloop) into the venv on first use.
# Output: progress, then markdown tables (also saved as $LOAD_DIR/report.md). The step commands
# (`bench/load.py seed|run|check|report`) can also be run by hand; see the header of load.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${IMAGEGRAM_BIN:-$ROOT/target/release/imagegram}"
VENV="${LOAD_VENV:-$HERE/.venv-load}"
POSTS=10000 COMMENTS=100000 USERS=2000 DURATION=20 RATES=100,1000
SEARCH_FROM=1000 SEARCH_STEP=1000 SEARCH_MAX=20000 WORKERS=1 KILL_RATE=500 KILL=1 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) POSTS=$2; shift 2 ;;
    --comments) COMMENTS=$2; shift 2 ;;
    --users) USERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rates) RATES=$2; shift 2 ;;
    --search-from) SEARCH_FROM=$2; shift 2 ;;
    --search-step) SEARCH_STEP=$2; shift 2 ;;
    --search-max) SEARCH_MAX=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --kill-rate) KILL_RATE=$2; shift 2 ;;
    --no-kill) KILL=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "load.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "load.sh: no executable at $BIN (set IMAGEGRAM_BIN)" >&2; exit 2; }

# Pinned client libraries (aiohttp and its dependencies; uvloop for a faster event loop).
REQUIREMENTS="aiohttp==3.14.5 aiohappyeyeballs==2.7.1 aiosignal==1.4.0 attrs==26.1.0 frozenlist==1.8.0
idna==3.21 multidict==7.2.1 propcache==0.5.4 typing_extensions==4.16.0 yarl==1.25.1 uvloop==0.23.0"
if [ ! -f "$VENV/.requirements" ] || [ "$(cat "$VENV/.requirements")" != "$REQUIREMENTS" ]; then
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # one word per requirement
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $REQUIREMENTS
  printf '%s' "$REQUIREMENTS" >"$VENV/.requirements"
fi
PY="$VENV/bin/python"

WORK="${LOAD_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/imagegram-load.XXXXXX")}"
mkdir -p "$WORK"
DATA="$WORK/data"
STATE="$WORK/state"
rm -rf "$DATA" "$STATE"
mkdir -p "$DATA" "$STATE"

# The server is disowned (so bash prints no "Killed" line after the kill -9); wait_gone polls.
SERVER_PID=""
wait_gone() { # $1: pid
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait_gone "$SERVER_PID" || kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  if [ "$KEEP" = 0 ] && [ -z "${LOAD_DIR:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Two adjacent free loopback ports: API on $PORT, object endpoint on $PORT+1.
free_port_pair() { python3 "$HERE/free_port_pair.py"; }

start_server() { # $1: log name; same ports and data dir every time
  local t0=$SECONDS
  IMAGEGRAM_ADMIN="admin:admin-password" IMAGEGRAM_LOG_FORMAT=json "$BIN" serve \
    --addr "127.0.0.1:$PORT" --s3-addr "127.0.0.1:$((PORT + 1))" --data-dir "$DATA" \
    >"$WORK/$1.log" 2>&1 &
  SERVER_PID=$!
  disown "$SERVER_PID"
  local start_ns; start_ns=$(date +%s%N)
  for _ in $(seq 1 300); do
    if curl -fsS "$API/healthz" >/dev/null 2>&1; then
      HEALTHY_S=$(python3 -c "print(round(($(date +%s%N) - $start_ns) / 1e9, 2))")
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "load.sh: the server did not become healthy after $((SECONDS - t0)) s; log:" >&2
  tail -n 50 "$WORK/$1.log" >&2
  exit 2
}

# 5xx answers and panics in a server log (JSON lines).
server_trouble() { # $1: log name
  local log="$WORK/$1.log" n5 np
  n5=$(grep -cE '"status":5[0-9][0-9]' "$log" || true)
  np=$(grep -ciE 'panicked|"level":"ERROR"' "$log" || true)
  echo "server log $1: $n5 answers with a 5xx, $np errors/panics"
  if [ "$n5" != 0 ] || [ "$np" != 0 ]; then
    grep -E '"status":5[0-9][0-9]|panicked|"level":"ERROR"' "$log" | head -n 5
  fi
}

PORT="$(free_port_pair)"
API="http://127.0.0.1:$PORT"
echo "load.sh: server $BIN on $API (objects on port $((PORT + 1))), work dir $WORK"
start_server server
T0=$SECONDS

echo "== seed: $POSTS posts, $COMMENTS comments, $USERS users"
"$PY" "$HERE/load.py" seed --api "$API" --state "$STATE" --posts "$POSTS" --comments "$COMMENTS" --users "$USERS"
SEED_S=$((SECONDS - T0))
# The server's memory once seeding (2,000+ sign-ups and logins: Argon2id, 19 MiB each) is done.
memory() { awk '/^VmRSS|^VmHWM/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$SERVER_PID/status"; echo; }
echo "server memory after seeding: $(memory)"

echo "== load: fixed rates $RATES, then the maximum sustainable rate (${DURATION} s per step)"
"$PY" "$HERE/load.py" run --state "$STATE" --rates "$RATES" --duration "$DURATION" --workers "$WORKERS" \
  --server-pid "$SERVER_PID" --search --search-from "$SEARCH_FROM" --search-step "$SEARCH_STEP" --search-max "$SEARCH_MAX"

echo "server memory after the load: $(memory)"
echo "== consistency after the load"
"$PY" "$HERE/load.py" check --state "$STATE" --label normal

if [ "$KILL" = 1 ]; then
  half=$(python3 -c "print($DURATION / 2)")
  echo "== kill -9 of the server ${half} s into ${DURATION} s at $KILL_RATE req/s, then a restart"
  "$PY" "$HERE/load.py" run --state "$STATE" --rates "$KILL_RATE" --duration "$DURATION" --workers "$WORKERS" \
    --kill-pid "$SERVER_PID" --kill-after "$half" --label kill
  wait_gone "$SERVER_PID" || { echo "load.sh: the server survived kill -9?" >&2; exit 1; }
  SERVER_PID=""
  server_trouble server
  start_server server-restarted
  echo "restarted: healthy after $HEALTHY_S s"
  "$PY" "$HERE/load.py" note --state "$STATE" "{\"type\": \"restart\", \"seconds\": $HEALTHY_S}"
  echo "== consistency after kill -9 and restart"
  "$PY" "$HERE/load.py" check --state "$STATE" --label after-kill
  server_trouble server-restarted
else
  server_trouble server
fi

echo
echo "== report ($POSTS posts / $COMMENTS comments seeded, $USERS users, ${DURATION} s steps, $WORKERS load process(es), $(nproc) cores)"
"$PY" "$HERE/load.py" report --state "$STATE" | tee "$WORK/report.md"
echo
echo "seeding took ${SEED_S} s; the whole run $((SECONDS - T0)) s"
if [ "$KEEP" = 1 ] || [ -n "${LOAD_DIR:-}" ]; then echo "state, results, server logs and data kept in $WORK"; fi
