#!/usr/bin/env python3
"""Cold-start proxy for each Lambda function: process start -> first event handled.

Runs each function's `bootstrap` (from target/lambda/<function>/bootstrap.zip, as `cargo lambda build
--output-format zip` leaves it) as a fresh process against a Lambda Runtime API emulated here on
loopback, hands it one real-shaped event (events/), and records, per run:
  init   spawn -> the runtime's first `GET /runtime/invocation/next` (config read, SDK clients built,
         router made: everything before the first event);
  first  spawn -> the response to that event posted back (init + the first request, which includes
         the first DynamoDB/S3 calls on fresh connections).
The functions talk to the local moto server of bench/lambda_local.py (start it first), with the
environment of `[workspace.metadata.lambda.watch]` in Cargo.toml. The binaries must be able to run on
this machine: build them with `LAMBDA_ARCH=x86-64 bash .ci/lambda-build.sh`, or run the arm64 ones
under qemu-user (Debian: qemu-user, libc6-arm64-cross) with `--runner qemu-aarch64` and
QEMU_LD_PREFIX=/usr/aarch64-linux-gnu, which shows they work but times the emulator more than the code.

    .venv-moto/bin/python bench/lambda_coldstart.py [--runs 7] [--functions accounts,posts]

What it does not include: downloading and unpacking the zip, the Firecracker VM boot and the
runtime's own start (Lambda reports those as part of Init Duration), TLS handshakes and credential
lookups against real AWS endpoints, and the smaller CPU share of a 256 MB function.
"""
import argparse
import http.server
import json
import os
import queue
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTS = os.path.join(ROOT, "events")
FUNCTIONS = ["accounts", "uploads", "posts", "images", "admin", "resize"]


def load(path):
    with open(os.path.join(EVENTS, path)) as f:
        return f.read()


def http_event(template, method, path, query=""):
    """An API Gateway v2 request like `template` for another route (images and admin have no fixtures yet)."""
    event = json.loads(load(template))
    event["routeKey"] = f"{method} {path}"
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawQueryString"] = query
    event.pop("queryStringParameters", None)
    if query:
        event["queryStringParameters"] = dict(kv.split("=", 1) for kv in query.split("&"))
    event.pop("body", None)
    return json.dumps(event)


# The first event each function gets: a typical request of its own that reaches the table.
FIRST_EVENT = {
    "accounts": lambda: load("api/get_me.json"),  # token check + GetItem user
    "uploads": lambda: load("api/create_upload.json"),  # transaction + CreateMultipartUpload + presign
    "posts": lambda: load("api/list_posts.json"),  # feed Query
    "images": lambda: http_event("api/list_posts.json", "GET", "/v1/images", "limit=20"),
    "admin": lambda: http_event("api/list_posts.json", "GET", "/v1/admin/tiers"),
    "resize": lambda: load("s3/put.json"),  # record for an unknown upload: GetItem, then ignored
}


class RuntimeApi:
    """Just enough of the Lambda Runtime API for one function process at a time."""

    def __init__(self):
        self.events = queue.Queue()
        self.results = queue.Queue()
        self.first_next = None
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.endswith("/runtime/invocation/next"):
                    if api.first_next is None:
                        api.first_next = time.perf_counter()
                    request_id, body = api.events.get()
                    deadline = int(time.time() * 1000) + 30_000
                    self.reply(200, body.encode(), [
                        ("content-type", "application/json"),
                        ("lambda-runtime-aws-request-id", request_id),
                        ("lambda-runtime-deadline-ms", str(deadline)),
                        ("lambda-runtime-invoked-function-arn",
                         "arn:aws:lambda:eu-west-1:123456789012:function:local"),
                        ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000"),
                    ])
                else:
                    self.reply(404)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if "chunked" in (self.headers.get("transfer-encoding") or ""):
                    body = self.read_chunked()
                now = time.perf_counter()
                kind = self.path.rsplit("/", 1)[-1]  # response | error (invocation or init)
                self.reply(202, b'{"status":"OK"}', [("content-type", "application/json")])
                api.results.put((now, kind, body))

            def read_chunked(self):
                out = b""
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # The function process is killed once it has answered; its open /next is cut.
                if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"


def watch_env():
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        meta = tomllib.load(f)["workspace"]["metadata"]["lambda"]["watch"]
    return dict(kv.split("=", 1) for kv in meta["env_var"])


def run_once(exe, function, env, event, runner, timeout=60.0):
    api = RuntimeApi()
    api.events.put((str(uuid.uuid4()), event))
    env = dict(env)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
    })
    argv = shlex.split(runner) + [exe]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        done, kind, body = api.results.get(timeout=timeout)
    except queue.Empty:
        proc.kill()
        raise RuntimeError(f"{function}: no response within {timeout} s: {proc.stderr.read()[-2000:]}")
    finally:
        proc.kill()
        proc.wait()
        api.server.shutdown()
    if kind != "response":
        raise RuntimeError(f"{function}: {kind}: {body[:500]!r}")
    init = (api.first_next - start) * 1000 if api.first_next else float("nan")
    return init, (done - start) * 1000, body


def status_of(body):
    """The HTTP status of an API Gateway answer; `ok` for resize (its handler returns nothing)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return "?"
    return answer.get("statusCode", "?") if isinstance(answer, dict) else "ok"


def extract(lambda_dir, function, into):
    zip_path = os.path.join(lambda_dir, function, "bootstrap.zip")
    with zipfile.ZipFile(zip_path) as z:
        z.extract("bootstrap", os.path.join(into, function))
    exe = os.path.join(into, function, "bootstrap")
    os.chmod(exe, 0o755)
    return exe


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--functions", default=",".join(FUNCTIONS))
    p.add_argument("--lambda-dir", default=os.path.join(ROOT, "target", "lambda"))
    p.add_argument("--runner", default="", help="e.g. qemu-aarch64 for arm64 binaries")
    args = p.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IMAGEGRAM_"))}
    env.update(watch_env())
    env["RUST_LOG"] = "warn"

    with tempfile.TemporaryDirectory() as tmp:
        exes = {f: extract(args.lambda_dir, f, tmp) for f in FUNCTIONS}
        # A user and a token for the events that carry {{TOKEN}}: accounts, warm, two events.
        token = None
        for body in (
            load("api/create_user.json").replace("fixture_user", "alice").replace(
                "fixture-password", "correct-horse"),
            load("api/create_token.json"),
        ):
            _, _, out = run_once(exes["accounts"], "accounts", env, body, args.runner)
            answer = json.loads(json.loads(out)["body"] or "{}")
            token = answer.get("access_token", token)
        if not token:
            sys.exit("could not get a token from the accounts function (is moto running?)")

        print(f"{'function':9} {'status':>6} {'init ms (median/min)':>22} {'first event ms (median/min)':>29}")
        for function in args.functions.split(","):
            event = FIRST_EVENT[function]().replace("{{TOKEN}}", token)
            inits, firsts, status = [], [], "-"
            for _ in range(args.runs):
                init, first, body = run_once(exes[function], function, env, event, args.runner)
                inits.append(init)
                firsts.append(first)
                status = status_of(body)
            print(f"{function:9} {status!s:>6} {statistics.median(inits):>12.1f} / {min(inits):>7.1f}"
                  f" {statistics.median(firsts):>19.1f} / {min(firsts):>7.1f}")


if __name__ == "__main__":
    main()
