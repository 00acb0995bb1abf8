#!/usr/bin/env bash
# Latency/throughput of one GET against a running `imagegram serve` seeded by bench/seed.py (the
# feed, by default) or bench/library_seed.py (BENCH_PATH="/v1/images?limit=20").
# Usage: [BENCH_PATH=/v1/...] [BENCH_ENCODING=gzip|br] bench/feed_load.sh TOKEN [API] [DURATION]
# (BENCH_ENCODING sends that Accept-Encoding, so the answers are compressed; default identity)
# Needs oha (cargo install oha --locked). Prints p50/p99 and achieved rate for 100 and 1000 req/s,
# then the maximum throughput (no rate limit, 50 connections).
set -euo pipefail
token=$1
api=${2:-http://127.0.0.1:8080}
duration=${3:-20s}
oha=${OHA:-oha}
# oha 1.9+ spells JSON output `--output-format json`, earlier ones `--json`.
if "$oha" --help | grep -q -- '--output-format'; then json=(--output-format json); else json=(--json); fi
path=${BENCH_PATH:-/v1/posts?limit=20}
encoding=${BENCH_ENCODING:-identity}
url="$api$path"
run() {
  "$oha" --no-tui "${json[@]}" -z "$duration" "$@" -H "authorization: Bearer $token" -H "accept-encoding: $encoding" "$url" |
    python3 -c '
import json, sys
r = json.load(sys.stdin)
p, s = r["latencyPercentiles"], r["summary"]
codes = r.get("statusCodeDistribution", {})
fmt = "  rate {:8.1f}/s  p50 {:6.2f} ms  p99 {:6.2f} ms  p99.9 {:6.2f} ms  success {:.2f}%  statuses {}"
print(fmt.format(s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, p["p99.9"] * 1000, s["successRate"] * 100, codes))
'
}
echo "GET $path (accept-encoding: $encoding), $duration each"
echo "100 req/s:";  run -q 100 --latency-correction -c 10
echo "1000 req/s:"; run -q 1000 --latency-correction -c 50
echo "max (50 connections):"; run -c 50
