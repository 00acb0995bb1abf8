#!/usr/bin/env python3
"""Seed an Imagegram server with real resources for schema fuzzing (standard library only).

Usage: seed.py BASE_URL [IMAGE_FILE]
Prints `export NAME=value` lines (eval them in a shell) with the tokens and ids that
schemathesis.toml reads through ${NAME}.

The DELETE operations get no fixed ids (see schemathesis.toml): the stateful phase deletes
what it created, so the seeded resources stay for the reads.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8080"
HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.environ.get("IMAGEGRAM_TESTDATA", os.path.join(HERE, "..", "..", "shared", "testdata"))
DEFAULT_IMAGE = os.path.join(TESTDATA, "valid", "jpeg_baseline.jpg")
IMAGE = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("SEED_IMAGE", DEFAULT_IMAGE)
ADMIN = os.environ.get("IMAGEGRAM_ADMIN", "admin:admin-password")
ADMIN_USER, ADMIN_PASSWORD = ADMIN.split(":", 1)


def call(method, url, body=None, token=None, headers=None, raw=None, expect=None):
    if not url.startswith("http"):
        url = BASE + url
    data = raw
    hdrs = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    if token:
        hdrs["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, rh, payload = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, rh, payload = err.code, err.headers, err.read()
    if expect is not None and status not in expect:
        sys.exit(f"seed: {method} {url} answered {status}: {payload[:500]!r}")
    parsed = None
    if payload and (rh.get("Content-Type") or "").startswith("application/json"):
        parsed = json.loads(payload)
    return status, rh, parsed


def login(username, password):
    _, _, tok = call("POST", "/v1/tokens", {"username": username, "password": password}, expect={200})
    return tok["access_token"]


def make_user(username, password):
    call("POST", "/v1/users", {"username": username, "password": password}, expect={201, 409})
    return login(username, password)


def open_upload(token, data, filename="seed.jpg", content_type="image/jpeg"):
    _, _, up = call(
        "POST", "/v1/uploads",
        {"filename": filename, "content_type": content_type, "size": len(data)},
        token=token, expect={201},
    )
    return up


def completed_upload(token, data):
    up = open_upload(token, data)
    size = up["part_size"]
    parts = []
    for part in up["parts"]:
        n = part["number"]
        chunk = data[(n - 1) * size : n * size]
        _, rh, _ = call("PUT", part["url"], raw=chunk, expect={200})
        parts.append({"number": n, "etag": rh["ETag"]})
    call("POST", f"/v1/uploads/{up['id']}/complete", {"parts": parts}, token=token, expect={200})
    return up["id"]


def wait_ready(token, path):
    deadline = time.time() + 60
    while time.time() < deadline:
        _, _, obj = call("GET", path, token=token, expect={200})
        if obj["status"] == "ready":
            return obj
        if obj["status"] == "failed":
            sys.exit(f"seed: {path} failed: {obj.get('failure')}")
        time.sleep(0.3)
    sys.exit(f"seed: {path} not ready after 60 s")


def ready_post(token, data, caption):
    upload_id = completed_upload(token, data)
    _, _, post = call("POST", "/v1/posts", {"upload_id": upload_id, "caption": caption}, token=token, expect={202})
    wait_ready(token, f"/v1/posts/{post['id']}")
    return post["id"]


def comment(token, post_id, text):
    _, _, c = call("POST", f"/v1/posts/{post_id}/comments", {"text": text}, token=token, expect={201})
    return c["id"]


def main():
    with open(IMAGE, "rb") as fh:
        data = fh.read()
    out = {}

    user_token = make_user("fuzzuser", "fuzz-password-1")
    admin_token = login(ADMIN_USER, ADMIN_PASSWORD)
    make_user("fuzzvictim", "fuzz-password-2")  # the account PATCH /v1/admin/users/{username} changes
    # Enterprise, so that POST /v1/images/{id}/links gets past its 403 (Basic has no expiring links).
    call("PATCH", "/v1/admin/users/fuzzuser", {"tier": "Enterprise"}, token=admin_token, expect={200})
    out["USER_TOKEN"] = user_token
    out["ADMIN_TOKEN"] = admin_token
    out["VICTIM_USERNAME"] = "fuzzvictim"

    # A ready post of the user, with a comment.
    out["POST_ID"] = ready_post(user_token, data, "seeded post")
    out["COMMENT_ID"] = comment(user_token, out["POST_ID"], "seeded comment")

    # A library image (from a completed upload) and an open upload, left open.
    image_upload = completed_upload(user_token, data)
    _, _, image = call("POST", "/v1/images", {"upload_id": image_upload, "title": "seeded image"},
                       token=user_token, expect={202})
    wait_ready(user_token, f"/v1/images/{image['id']}")
    out["IMAGE_ID"] = image["id"]
    out["UPLOAD_ID"] = open_upload(user_token, data)["id"]

    # The admin's own resources: the user's upload is someone else's (404) on the upload routes,
    # and links are only for one's own images, so the admin pass gets its own upload and image.
    out["ADMIN_UPLOAD_ID"] = open_upload(admin_token, data)["id"]
    admin_image_upload = completed_upload(admin_token, data)
    _, _, admin_image = call("POST", "/v1/images", {"upload_id": admin_image_upload, "title": "admin image"},
                             token=admin_token, expect={202})
    wait_ready(admin_token, f"/v1/images/{admin_image['id']}")
    out["ADMIN_IMAGE_ID"] = admin_image["id"]  # links are for the owner's own images only
    # The tier that GET/PUT /v1/admin/tiers/{name} work on: a builtin one that cannot be deleted
    # under them (409 while a user is on it: the admin stays on Basic).
    out["TIER_NAME"] = "Basic"

    for key, value in out.items():
        print(f"export {key}='{value}'")


if __name__ == "__main__":
    main()
