#!/usr/bin/env python3
"""Seed a running Imagegram with users, posts (real uploads through presigned URLs) and comments.

Standard library only. Usage: bench/seed.py [--api URL] [--posts N] [--comments N] [--image PATH]
Prints the bearer token of the first user on the last line (for load tools).
"""
import argparse
import concurrent.futures as cf
import json
import os
import random
import time
import urllib.error
import urllib.request


def call(api, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(api + path, data=data, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def user(api, name):
    creds = {"username": name, "password": "bench-password"}
    call(api, "POST", "/v1/users", body=creds)
    status, tok = call(api, "POST", "/v1/tokens", body=creds)
    assert status == 200, tok
    return tok["access_token"]


def upload(api, token, data):
    status, up = call(api, "POST", "/v1/uploads", token,
                      {"filename": "seed", "content_type": "image/jpeg", "size": len(data)})
    assert status == 201, up
    parts, size = [], up["part_size"]
    for p in up["parts"]:
        n = p["number"]
        chunk = data[(n - 1) * size:n * size]
        req = urllib.request.Request(p["url"], data=chunk, method="PUT")
        with urllib.request.urlopen(req, timeout=60) as res:
            parts.append({"number": n, "etag": res.headers["ETag"]})
    status, body = call(api, "POST", f"/v1/uploads/{up['id']}/complete", token, {"parts": parts})
    assert status == 200, body
    return up["id"]


def post(api, token, data, i):
    upload_id = upload(api, token, data)
    status, p = call(api, "POST", "/v1/posts", token, {"upload_id": upload_id, "caption": f"post {i}"})
    assert status == 202, p
    return p["id"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", default="http://127.0.0.1:8080")
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--comments", type=int, default=3000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--image", default=os.path.join(here, "../../shared/testdata/valid/jpeg_baseline.jpg"))
    args = ap.parse_args()
    data = open(args.image, "rb").read()
    t0 = time.time()
    with cf.ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(lambda i: user(args.api, f"bench{i}"), range(args.users)))
        ids = list(pool.map(lambda i: post(args.api, tokens[i % len(tokens)], data, i), range(args.posts)))
    print(f"{args.posts} posts in {time.time() - t0:.1f} s", flush=True)
    # Wait until every post is ready (resize is asynchronous).
    for pid in ids:
        for _ in range(600):
            status, p = call(args.api, "GET", f"/v1/posts/{pid}", tokens[0])
            if status == 200 and p["status"] != "processing":
                break
            time.sleep(0.05)
    rng = random.Random(7)
    # Skewed comment counts so the feed order is meaningful; users stay under the 60/min throttle.
    targets = [ids[min(int(rng.paretovariate(1.2)) - 1, len(ids) - 1)] for _ in range(args.comments)]
    per_user = {}

    def comment(i):
        who = i % len(tokens)
        per_user[who] = per_user.get(who, 0) + 1
        status, body = call(args.api, "POST", f"/v1/posts/{targets[i]}/comments", tokens[who], {"text": f"comment {i}"})
        return status

    with cf.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(comment, range(args.comments)))
    print(f"comments: {statuses.count(201)} created, {len(statuses) - statuses.count(201)} refused "
          f"(throttled: {statuses.count(429)}); total {time.time() - t0:.1f} s", flush=True)
    print(tokens[0])


if __name__ == "__main__":
    main()
