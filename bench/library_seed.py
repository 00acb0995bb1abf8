#!/usr/bin/env python3
"""Seed one user's image library with N images (multipart form posts of a small real image).

Standard library only. Usage: bench/library_seed.py [--api URL] [--images N] [--image PATH]
Waits until every image is processed, then prints the user's bearer token on the last line.
"""
import argparse
import concurrent.futures as cf
import json
import os
import time
import urllib.request

from seed import call, user

WORDS = ["sunset", "harbour", "été", "mountain", "street", "portrait", "forest", "city"]


def form(fields, file_name, data):
    boundary = "imagegram-bench-" + os.urandom(8).hex()
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
               f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def add(api, token, data, i):
    title = f"{WORDS[i % len(WORDS)]} {i}"
    body, ctype = form({"title": title}, "seed.bmp", data)
    req = urllib.request.Request(api + "/v1/images", data=body, method="POST")
    req.add_header("content-type", ctype)
    req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as res:
        assert res.status == 202, res.status
        return json.loads(res.read())["id"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_image = os.path.join(here, "..", "..", "shared", "testdata", "valid", "bmp_24bit.bmp")
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", default="http://127.0.0.1:8080")
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--image", default=default_image)
    ap.add_argument("--user", default="librarian")
    args = ap.parse_args()
    data = open(args.image, "rb").read()
    token = user(args.api, args.user)
    start = time.time()
    with cf.ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(lambda i: add(args.api, token, data, i), range(args.images)))
    print(f"{len(ids)} images posted in {time.time() - start:.1f} s")
    last = ids[-1]
    while True:
        status, img = call(args.api, "GET", f"/v1/images/{last}", token)
        if img["status"] != "processing":
            break
        time.sleep(0.5)
    print(f"processed in {time.time() - start:.1f} s (last image {img['status']})")
    print(token)


if __name__ == "__main__":
    main()
