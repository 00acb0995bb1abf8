#!/usr/bin/env python3
"""The command-line client's upload against curl, on loopback, side by side.

    python3 bench/cli_upload.py [--binary target/release/imagegram] [--rounds 3] [--mb 50]

Starts `imagegram serve` on free ports with a fresh data dir, makes a user and a noise BMP of
`--mb` MB, then alternates, `--rounds` times:
  - ours: `imagegram upload FILE --parallel 4` (hashes the file, declares the upload, sends the
    parts, completes), whole process, wall clock;
  - curl: the same steps done by hand: `POST /v1/uploads`, the parts (pre-cut into files) sent
    with `curl -X PUT --upload-file`, 4 at once, to the same kind of presigned URLs, then
    `complete`; wall clock from the declaration to the completion.
Prints MB/s of each round, the medians and the ratio (ours / curl, higher is better), then the
CLI's peak RSS (`/usr/bin/time -f %M`) during a 100 MB upload. Standard library only.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(api, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def noise_bmp(path, size):
    # 24-bit BMP, width 1024 (rows of 3072 bytes, no padding), as many rows as fit in `size`.
    rows = (size - 54) // 3072
    pixels = rows * 3072
    header = b"BM" + struct.pack("<IHHI", 54 + pixels, 0, 0, 54)
    header += struct.pack("<IiiHHIIiiII", 40, 1024, rows, 1, 24, 0, pixels, 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(header)
        left = pixels
        while left:
            n = min(left, 1 << 22)
            f.write(os.urandom(n))
            left -= n


def ours(binary, env, path):
    started = time.monotonic()
    out = subprocess.run([binary, "upload", "--parallel", "4", path], env=env,
                         capture_output=True, text=True)
    took = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"imagegram upload failed: {out.stderr}")
    return took


def by_curl_timed(api, token, path, parts_dir):
    """The upload as curl does it: declare, the pre-cut parts PUT 4 at a time, complete. Returns
    (declare -> complete, first PUT -> complete, complete alone), in seconds."""
    size = os.path.getsize(path)
    started = time.monotonic()
    upload = call(api, "POST", "/v1/uploads", token,
                  {"filename": "noise.bmp", "content_type": "image/bmp", "size": size})

    def put(part):
        out = subprocess.run(["curl", "-s", "-f", "-X", "PUT", "--upload-file",
                              os.path.join(parts_dir, str(part["number"])), part["url"],
                              "-D", "-", "-o", "/dev/null"], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"curl PUT failed: {out.stderr}")
        etag = next(line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
                    if line.lower().startswith("etag:"))
        return {"number": part["number"], "etag": etag}

    first_put = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        etags = list(pool.map(put, upload["parts"]))
    puts_done = time.monotonic()
    call(api, "POST", f"/v1/uploads/{upload['id']}/complete", token, {"parts": etags})
    ended = time.monotonic()
    return ended - started, ended - first_put, ended - puts_done


def by_curl(api, token, path, parts_dir):
    """Seconds from declaring the upload to its complete answered (see by_curl_timed)."""
    return by_curl_timed(api, token, path, parts_dir)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/imagegram")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="cli-bench-")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.binary, "serve", "--addr", f"127.0.0.1:{port}",
                               "--data-dir", os.path.join(work, "data")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(api + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        creds = {"username": "bench", "password": "bench-password"}
        call(api, "POST", "/v1/users", body=creds)
        token = call(api, "POST", "/v1/tokens", body=creds)["access_token"]
        env = dict(os.environ, IMAGEGRAM_API=api, IMAGEGRAM_TOKEN=token,
                   XDG_CONFIG_HOME=os.path.join(work, "config"),
                   XDG_CACHE_HOME=os.path.join(work, "cache"))
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            env.pop(name, None)
        path = os.path.join(work, "noise.bmp")
        noise_bmp(path, args.mb * 1_000_000)
        size = os.path.getsize(path)
        part_size = 8 * 1024 * 1024
        parts_dir = os.path.join(work, "parts")
        os.makedirs(parts_dir)
        with open(path, "rb") as f:
            number = 1
            while chunk := f.read(part_size):
                with open(os.path.join(parts_dir, str(number)), "wb") as out:
                    out.write(chunk)
                number += 1
        mine, theirs = [], []
        for round_ in range(args.rounds):
            mine.append(size / ours(args.binary, env, path) / 1e6)
            theirs.append(size / by_curl(api, token, path, parts_dir) / 1e6)
            print(f"round {round_ + 1}: ours {mine[-1]:.0f} MB/s, curl {theirs[-1]:.0f} MB/s")
        a, b = statistics.median(mine), statistics.median(theirs)
        print(f"{size / 1e6:.1f} MB, --parallel 4 vs 4 curl at once: medians ours {a:.0f} MB/s, "
              f"curl {b:.0f} MB/s, ratio {a / b:.2f}")

        big = os.path.join(work, "big.bmp")
        noise_bmp(big, 104_000_000)
        out = subprocess.run(["/usr/bin/time", "-f", "%M", args.binary, "upload", big],
                             env=env, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"100 MB upload failed: {out.stderr}")
        rss_kb = int(out.stderr.strip().splitlines()[-1])
        print(f"peak RSS of `imagegram upload` for {os.path.getsize(big) / 1e6:.0f} MB: "
              f"{rss_kb / 1024:.1f} MiB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
