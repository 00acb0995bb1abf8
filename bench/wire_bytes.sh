#!/usr/bin/env bash
# Bytes on the wire for one feed page (API.md "Clients on slow and unstable connections"): the
# answer plain, gzip- and brotli-encoded, and a 304 revalidation with its ETag, against a running
# `imagegram serve` seeded by bench/seed.py (20 posts with comments give a full page).
# Usage: bench/wire_bytes.sh TOKEN [API] [PATH]     (curl counts headers and body as received)
set -euo pipefail
token=$1
api=${2:-http://127.0.0.1:8080}
path=${3:-/v1/posts?limit=20}
url="$api$path"
auth="authorization: Bearer $token"
measure() { # label, extra curl args...
  local label=$1
  shift
  curl -s -o /dev/null -H "$auth" "$@" -w "$label %{http_code} headers=%{size_header} body=%{size_download}\n" "$url"
}
etag=$(curl -s -D - -o /dev/null -H "$auth" "$url" | tr -d '\r' | awk 'tolower($1)=="etag:"{print $2}')
echo "GET $path (ETag $etag)"
measure "plain " -H 'accept-encoding: identity'
measure "gzip  " -H 'accept-encoding: gzip'
measure "brotli" -H 'accept-encoding: br'
measure "304   " -H 'accept-encoding: br' -H "if-none-match: $etag"
