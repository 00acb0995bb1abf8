#!/usr/bin/env bash
# Lighthouse performance and accessibility of the web app's feed with 50 posts (signed in), mobile and desktop,
# and of the logged-out Log in page.
#
#     bench/lighthouse.sh [OUT_DIR]        (default /tmp/lighthouse-<timestamp>; RUNS=3, BIN=target/debug/imagegram)
#
# Starts `imagegram serve` (the debug build by default: it serves web/dist at `/`) on free ports with a fresh
# data dir, seeds it through the API (5 users; 50 posts of small real images from /work/shared/testdata/valid,
# uploaded to their presigned part URLs, each with a caption and alt text, waited until ready; about 3 comments a
# post, skewed so the default `sort=comments` order means something), then runs bench/lighthouse.mjs (Lighthouse's
# Node API with puppeteer-core and /usr/bin/chromium) RUNS times per case and prints every run and the median.
# Reports (HTML + JSON) are written to OUT_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${BIN:-$root/target/debug/imagegram}
runs=${RUNS:-3}
out=${1:-/tmp/lighthouse-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
data=$(mktemp -d /tmp/lighthouse-data-XXXXXX)
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

read -r port s3port < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
api=http://127.0.0.1:$port
RUST_LOG=warn "$bin" serve --addr 127.0.0.1:$port --s3-addr 127.0.0.1:$s3port --data-dir "$data" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 300); do curl -sf "$api/healthz" >/dev/null && break; sleep 0.1; done
if ! curl -s -H 'Accept: text/html' "$api/" | grep -q '<div id="root">'; then
  echo "$bin does not serve the web app at / (use the debug build)" >&2; exit 1
fi

echo "seeding $api ..." >&2
token=$(python3 - "$api" <<'EOF'
import concurrent.futures as cf, json, os, random, sys, time, urllib.error, urllib.request
api = sys.argv[1]
valid = "/work/shared/testdata/valid"
types = {".jpg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp"}

def call(method, path, token=None, body=None):
    req = urllib.request.Request(api + path, data=None if body is None else json.dumps(body).encode(), method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        t = r.read()
        return json.loads(t) if t else None

# Real photos-ish files: skip polyglots, extension-lies, 1x1s, the zTXt bomb and the 10000-px strips.
names = sorted(n for n in os.listdir(valid)
               if os.path.splitext(n)[1] in types and not n.startswith("polyglot")
               and "named" not in n and "1x1" not in n and "bomb" not in n and "10000" not in n)
users = []
for i in range(5):
    creds = {"username": f"lh_user{i}", "password": "lh-password-1"}
    call("POST", "/v1/users", body=creds)
    users.append(call("POST", "/v1/tokens", body=creds)["access_token"])

def post(i):
    token, name = users[i % len(users)], names[i % len(names)]
    data = open(os.path.join(valid, name), "rb").read()
    up = call("POST", "/v1/uploads", token, {"filename": name, "content_type": types[os.path.splitext(name)[1]], "size": len(data)})
    parts = []
    for p in up["parts"]:
        n = p["number"]
        req = urllib.request.Request(p["url"], data=data[(n - 1) * up["part_size"]:n * up["part_size"]], method="PUT")
        with urllib.request.urlopen(req, timeout=60) as r:
            parts.append({"number": n, "etag": r.headers["ETag"]})
    call("POST", f"/v1/uploads/{up['id']}/complete", token, {"parts": parts})
    p = call("POST", "/v1/posts", token, {"upload_id": up["id"], "caption": f"Post {i}: {name.split('.')[0].replace('_', ' ')} from the test set",
                                          "alt_text": f"Test picture {name}"})
    return token, p["id"]

t0 = time.time()
with cf.ThreadPoolExecutor(4) as pool:
    posts = list(pool.map(post, range(50)))
ready = 0
for token, pid in posts:
    for _ in range(1200):
        p = call("GET", f"/v1/posts/{pid}", token)
        if p["status"] != "processing":
            break
        time.sleep(0.1)
    ready += p["status"] == "ready"
rng = random.Random(7)
comments = 0
for k in range(150):  # 30 per user, under the per-user write throttle
    pid = posts[min(int(rng.paretovariate(1.0)) - 1, len(posts) - 1)][1]
    try:
        call("POST", f"/v1/posts/{pid}/comments", users[k % len(users)], {"text": f"Comment {k}: nice one"})
        comments += 1
    except urllib.error.HTTPError as e:
        print(f"comment refused: {e.code}", file=sys.stderr)
feed = call("GET", "/v1/posts?limit=100", users[0])
print(f"seeded {len(posts)} posts ({ready} ready, {len(feed['items'])} in the feed) from {len(names)} files, "
      f"{comments} comments in {time.time() - t0:.1f} s", file=sys.stderr)
print(users[0])
EOF
)

echo "lighthouse runs: $runs per case, reports in $out" >&2
results=$out/runs.jsonl
: >"$results"
lh() { node "$here/lighthouse.mjs" "$@" --runs "$runs" | tee -a "$results"; }
lh "$api/" "$out/feed-mobile" --token "$token"
lh "$api/" "$out/feed-desktop" --token "$token" --desktop
lh "$api/login" "$out/login-mobile"
lh "$api/login" "$out/login-desktop" --desktop

python3 - "$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cases = {}
for r in rows:
    cases.setdefault((r["url"], r["form"]), []).append(r)
print()
for (url, form), rs in cases.items():
    perf = [r["performance"] for r in rs]
    a11y = [r["accessibility"] for r in rs]
    print(f"{url} {form}: performance {perf} median {statistics.median(perf)}, "
          f"accessibility {a11y} median {statistics.median(a11y)}; "
          f"LCP {[r['lcp'] for r in rs]}, TBT {[r['tbt'] for r in rs]}, CLS {[r['cls'] for r in rs]}")
EOF
