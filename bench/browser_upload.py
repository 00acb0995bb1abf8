#!/usr/bin/env python3
"""The web app's upload (headless Chromium) against curl, on loopback, side by side.

    python3 bench/browser_upload.py [--binary target/debug/imagegram] [--rounds 3] [--mb 50]

Starts `imagegram serve` on free ports with a fresh data dir (the binary must serve the web app at `/`:
the debug build reads web/dist at run time; a release build only if it was built after web/dist existed —
checked, and refused otherwise), makes a user and a noise BMP of `--mb` MB (cli_upload.noise_bmp), cuts it
into the server's parts (part size from a declared-then-deleted upload), then alternates `--rounds` times:
  - browser: `node bench/browser_upload.mjs API USER PASSWORD FILE`: Chromium logs in through the Log in
    screen, opens New post, sets the file, writes a caption, clicks Post (4 parallel part PUTs by the app's
    own uploader, XHR), and waits until the post is no longer "Processing" (so the server's resize of the
    image is over before the next measurement);
  - curl: what cli_upload.by_curl does (POST /v1/uploads, the pre-cut parts sent with
    `curl -X PUT --upload-file`, 4 at once, to fresh presigned URLs, then complete), with timestamps.

Timing, the same span on both sides: from the start of the first part PUT to the end of the response of
`POST /v1/uploads/{id}/complete` ("PUT→complete", the headline figure). The browser's comes from Chromium's
network timestamps (CDP via Playwright's request.timing()); curl's from time.monotonic() just before the
first `curl` process is started and just after the complete call returned. cli_upload.by_curl itself also
counts `POST /v1/uploads`; that wider span ("declare→complete", from the start of POST /v1/uploads) is
printed too, for both sides, so a figure can be compared with bench/cli_upload.py's, and so is the parts
phase alone (first PUT -> last part answered), since complete's server time is a large, noisy share. Neither span includes
logging in, picking the file, the click, `POST /v1/posts` or the image processing.
Prints MB/s (10^6 bytes per second) of each round, the medians and the ratio browser / curl (goal >= 0.8).
Standard library only (plus node and Playwright in web/node_modules for the browser side).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_upload import by_curl_timed, call, free_port, noise_bmp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def by_browser(api, creds, path, env):
    out = subprocess.run(["node", os.path.join(HERE, "browser_upload.mjs"), api, creds["username"],
                          creds["password"], path], capture_output=True, text=True, env=env, timeout=900)
    if out.returncode != 0:
        sys.exit(f"browser_upload.mjs failed ({out.returncode}):\n{out.stderr}\n{out.stdout}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["bytes"] != os.path.getsize(path):
        sys.exit(f"browser sent {result['bytes']} bytes, file has {os.path.getsize(path)}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/debug/imagegram"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="browser-bench-")
    port, s3_port = free_port(), free_port()
    while s3_port == port:
        s3_port = free_port()
    api = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RUST_LOG="warn")
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    server = subprocess.Popen([args.binary, "serve", "--addr", f"127.0.0.1:{port}",
                               "--s3-addr", f"127.0.0.1:{s3_port}",
                               "--data-dir", os.path.join(work, "data")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(api + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        index = urllib.request.urlopen(urllib.request.Request(api + "/", headers={"accept": "text/html"}))
        if b'<div id="root">' not in index.read():
            sys.exit(f"{args.binary} does not serve the web app at / (use the debug build)")
        creds = {"username": "bench", "password": "bench-password"}
        call(api, "POST", "/v1/users", body=creds)
        token = call(api, "POST", "/v1/tokens", body=creds)["access_token"]

        path = os.path.join(work, "noise.bmp")
        noise_bmp(path, args.mb * 1_000_000)
        size = os.path.getsize(path)
        probe = call(api, "POST", "/v1/uploads", token,
                     {"filename": "probe.bmp", "content_type": "image/bmp", "size": size})
        call(api, "DELETE", f"/v1/uploads/{probe['id']}", token)
        part_size = probe["part_size"]
        parts_dir = os.path.join(work, "parts")
        os.makedirs(parts_dir)
        with open(path, "rb") as f:
            number = 1
            while chunk := f.read(part_size):
                with open(os.path.join(parts_dir, str(number)), "wb") as out:
                    out.write(chunk)
                number += 1
        print(f"server {args.binary}, file {size / 1e6:.1f} MB, part size {part_size} "
              f"({number - 1} parts), 4 parallel on both sides", flush=True)

        mbps = lambda s: size / s / 1e6  # noqa: E731
        rows = {"browser": [], "curl": [], "browser_decl": [], "curl_decl": [], "browser_parts": [], "curl_parts": []}
        for round_ in range(args.rounds):
            b = by_browser(api, creds, path, env)
            c_decl, c_put, c_complete = by_curl_timed(api, token, path, parts_dir)
            rows["browser"].append(mbps(b["seconds"]))
            rows["browser_decl"].append(mbps(b["declare_seconds"]))
            rows["curl"].append(mbps(c_put))
            rows["curl_decl"].append(mbps(c_decl))
            # the parts alone: first PUT started -> last part answered (complete is the server's work)
            rows["browser_parts"].append(mbps(max(p["at"] + p["done"] for p in b["put_timing_ms"]) / 1000))
            rows["curl_parts"].append(mbps(c_put - c_complete))
            print(f"round {round_ + 1}: PUT→complete browser {rows['browser'][-1]:.0f} MB/s "
                  f"({b['seconds']:.3f} s, {b['puts']} PUTs), curl {rows['curl'][-1]:.0f} MB/s "
                  f"({c_put:.3f} s); declare→complete browser {rows['browser_decl'][-1]:.0f} MB/s "
                  f"({b['declare_seconds']:.3f} s), curl {rows['curl_decl'][-1]:.0f} MB/s ({c_decl:.3f} s); "
                  f"complete call browser {b['complete_ms']} ms (sent {b['gap_to_complete_ms']} ms after "
                  f"the last part's answer), curl {c_complete * 1000:.0f} ms", flush=True)
            print(f"  browser part PUTs (ms from the first; sent/answer/done after the part's start): "
                  f"{json.dumps(b['put_timing_ms'])}", flush=True)
        med = {k: statistics.median(v) for k, v in rows.items()}
        print(f"medians, PUT→complete: browser {med['browser']:.0f} MB/s, curl {med['curl']:.0f} MB/s, "
              f"ratio browser/curl {med['browser'] / med['curl']:.2f}")
        print(f"medians, declare→complete: browser {med['browser_decl']:.0f} MB/s, "
              f"curl {med['curl_decl']:.0f} MB/s, ratio {med['browser_decl'] / med['curl_decl']:.2f}")
        print(f"medians, parts only (first PUT -> last part answered): browser {med['browser_parts']:.0f} MB/s, "
              f"curl {med['curl_parts']:.0f} MB/s, ratio {med['browser_parts'] / med['curl_parts']:.2f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
