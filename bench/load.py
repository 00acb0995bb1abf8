#!/usr/bin/env python3
"""Mixed-load benchmark of a running Imagegram: seeding, open-loop load, consistency check.

Driven by bench/load.sh (which starts its own server, makes the venv and calls the steps below in
order); each step can also be run by hand against any server, with the same --state directory:

    load.py seed   --api URL --state DIR [--posts 10000] [--comments 100000] [--users 2000]
    load.py run    --state DIR [--rates 100,1000] [--search] [--duration 20] [--server-pid PID]
                   [--kill-pid PID --kill-after S]          # kill -9 the server S seconds in
    load.py check  --state DIR --label NAME                 # every post's comment_count
    load.py report --state DIR                              # the markdown tables

The load is open-loop: request i is due at start + i/rate and its latency is measured from that due
time, not from when it was actually sent, so a client or server that falls behind shows as latency
("latency correction", like wrk2 / oha --latency-correction). A step is bounded by --duration
(nothing is sent after it; what was due but not sent counts against the achieved rate) and by
--max-inflight (the dispatcher waits for a free slot, and that wait is latency too). The mix is 80%
`GET /v1/posts?limit=20` (a quarter of them with a next_cursor from an earlier page), 5%
`GET /v1/posts/{id}` and 15% `POST /v1/posts/{id}/comments` (fresh Idempotency-Key each), spread
round-robin over --users tokens and kept under the server's per-user comment limit client-side.
With --kill-pid, the server is sent SIGKILL --kill-after seconds in (at the first moment after that
with a comment create in flight, so the kill lands on a write) and the load goes on, refused, to
the end of the step; creates that were sent before the kill and never answered may or may not have
been stored, and the check afterwards allows for exactly that many.

State kept in DIR: state.json (users, tokens, post ids, the comment ledger, per-user comment
window usage) and results.jsonl (one JSON line per load step and per check).
Needs aiohttp (pinned in load.sh); uses uvloop when it is installed. Loopback only by intent.
"""
import argparse
import asyncio
import bisect
import collections
import itertools
import json
import math
import multiprocessing
import os
import random
import signal
import sys
import time
import uuid
from urllib.parse import quote

try:
    import aiohttp
except ImportError:
    sys.exit("load.py needs aiohttp: run it through bench/load.sh, which makes bench/.venv-load")
try:
    import uvloop
except ImportError:
    uvloop = None

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_IMAGE = os.path.join(HERE, "../../shared/testdata/valid/png_1x1.png")
PASSWORD = "bench-password"
KINDS = ("feed", "post", "comment")
EXPECTED = {"feed": 200, "post": 200, "comment": 201}
# A step "holds" when all three are true.
HOLD_ACHIEVED, HOLD_P99_MS, HOLD_ERRORS = 0.95, 50.0, 0.001


# ---------------------------------------------------------------------------------------- helpers

def run_async(coro):
    if uvloop is not None:
        uvloop.install()
    return asyncio.run(coro)


def session(limit=64, timeout=30.0):
    # identity: no compression, like bench/feed_load.sh's default (and cheaper for this client).
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=0),
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"accept-encoding": "identity"},
    )


async def call(s, method, url, token=None, body=None, headers=None, retries=3):
    """One JSON request; retried on transport errors only. Returns (status, json, headers)."""
    h = dict(headers or {})
    if token:
        h["authorization"] = "Bearer " + token
    for attempt in range(retries + 1):
        try:
            async with s.request(method, url, json=body, headers=h) as r:
                data = await r.read()
                return r.status, (json.loads(data) if data else None), r.headers
        except (aiohttp.ClientError, asyncio.TimeoutError):
            if attempt == retries:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))


async def walk(s, url, token):
    """Every item of a paginated list (`url` carries its query), following next_cursor. Returns
    (200, items), or (status, the items before it) at the first page that is not a 200."""
    items, cursor = [], None
    while True:
        page_url = url + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
        st, page, _ = await call(s, "GET", page_url, token)
        if st != 200:
            return st, items
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return 200, items


def load_state(d):
    with open(os.path.join(d, "state.json")) as f:
        return json.load(f)


def save_state(d, state):
    tmp = os.path.join(d, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, os.path.join(d, "state.json"))


def append_result(d, result):
    with open(os.path.join(d, "results.jsonl"), "a") as f:
        f.write(json.dumps(result) + "\n")


def read_results(d):
    path = os.path.join(d, "results.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pct(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(q / 100 * len(sorted_values)) - 1)]  # nearest rank


class Targets:
    """Comment targets: Zipf-like (weight 1/rank) over the posts in a fixed shuffled order, so some
    posts are hot (contention on one post's count) and the feed's comment order means something."""

    def __init__(self, post_ids, seed=7):
        order = list(post_ids)
        random.Random(seed).shuffle(order)
        self.order = order
        self.cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(order))))

    def pick(self, rng):
        return self.order[min(bisect.bisect(self.cum, rng.random() * self.cum[-1]), len(self.order) - 1)]


class CommentWindows:
    """Client-side view of the server's fixed comment windows (epoch-aligned, `limit` per user per
    `window_s`), so round-robin users are never throttled. `usage[i]` is [window index, count]."""

    MARGIN = 3  # requests sent at a window's very end may be counted in it by the server

    def __init__(self, limit, window_s, usage, mine):
        self.limit, self.window_s, self.usage, self.mine = limit, window_s, usage, list(mine)
        self.rr = 0

    def take(self):
        """A user index that may comment now (counted), or None when every one is used up."""
        win = int(time.time() // self.window_s)
        for _ in range(len(self.mine)):
            u = self.mine[self.rr % len(self.mine)]
            self.rr += 1
            w, c = self.usage[u]
            if w != win:
                w, c = win, 0
            if c < self.limit - self.MARGIN:
                self.usage[u] = [win, c + 1]
                return u
        return None

    def seconds_left(self):
        return self.window_s - time.time() % self.window_s


# ------------------------------------------------------------------------------------------ seed

async def seed(args):
    os.makedirs(args.state, exist_ok=True)
    api = args.api.rstrip("/")
    image = open(args.image, "rb").read()
    ctype = "image/png" if image[:4] == b"\x89PNG" else "image/jpeg"
    t0 = time.monotonic()
    timings = {}
    async with session(limit=256) as s:
        # Users: registration and login each cost an argon2 hash, so a few at a time only.
        hash_sem = asyncio.Semaphore(args.hash_concurrency)
        upload_sem = asyncio.Semaphore(args.concurrency)
        users = [None] * args.users
        post_owner = {}
        post_ids = []
        failures = collections.Counter()

        async def make_user(i):
            name = f"load{i:05d}"
            async with hash_sem:
                st, body, _ = await call(s, "POST", f"{api}/v1/users", body={"username": name, "password": PASSWORD})
                if st not in (201, 409):
                    raise SystemExit(f"seed: POST /v1/users {name}: {st} {body}")
                st, tok, _ = await call(s, "POST", f"{api}/v1/tokens", body={"username": name, "password": PASSWORD})
                if st != 200:
                    raise SystemExit(f"seed: POST /v1/tokens {name}: {st} {tok}")
            users[i] = {"name": name, "token": tok["access_token"]}
            return users[i]["token"]

        async def make_post(token, n):
            async with upload_sem:
                st, up, _ = await call(s, "POST", f"{api}/v1/uploads", token,
                                       {"filename": f"load{n}.png", "content_type": ctype, "size": len(image)})
                if st != 201:
                    failures[f"upload {st}"] += 1
                    return
                parts, size = [], up["part_size"]
                for p in up["parts"]:
                    k = p["number"]
                    async with s.put(p["url"], data=image[(k - 1) * size:k * size]) as r:
                        await r.read()
                        if r.status != 200:
                            failures[f"part PUT {r.status}"] += 1
                            return
                        parts.append({"number": k, "etag": r.headers["ETag"]})
                st, body, _ = await call(s, "POST", f"{api}/v1/uploads/{up['id']}/complete", token, {"parts": parts})
                if st != 200:
                    failures[f"complete {st}"] += 1
                    return
                st, post, _ = await call(s, "POST", f"{api}/v1/posts", token,
                                         {"upload_id": up["id"], "caption": f"load post {n}"},
                                         headers={"idempotency-key": str(uuid.uuid4())})
                if st != 202:
                    failures[f"post {st}"] += 1
                    return
                post_ids.append(post["id"])
                post_owner[post["id"]] = token

        async def user_and_posts(i):
            token = await make_user(i)
            # User i makes posts i, i+U, i+2U, ... one at a time (far under 20 uploads in flight).
            for n in range(i, args.posts, args.users):
                await make_post(token, n)

        await asyncio.gather(*(user_and_posts(i) for i in range(args.users)))
        timings["users_and_posts_s"] = time.monotonic() - t0
        print(f"seed: {args.users} users and {len(post_ids)} posts created in {timings['users_and_posts_s']:.1f} s"
              + (f"; failures {dict(failures)}" if failures else ""), flush=True)

        # Image processing is asynchronous: poll until every post is ready (or failed).
        pending, statuses, ready_ids = set(post_ids), collections.Counter(), set()
        poll_sem = asyncio.Semaphore(args.concurrency)
        deadline = time.monotonic() + args.ready_timeout

        async def poll(pid):
            async with poll_sem:
                st, p, _ = await call(s, "GET", f"{api}/v1/posts/{pid}", post_owner[pid])
            if st == 200 and p["status"] != "processing":
                statuses[p["status"]] += 1
                pending.discard(pid)
                if p["status"] == "ready":
                    ready_ids.add(pid)

        while pending and time.monotonic() < deadline:
            await asyncio.gather(*(poll(pid) for pid in list(pending)))
            if pending:
                await asyncio.sleep(0.5)
        timings["ready_s"] = time.monotonic() - t0
        print(f"seed: posts settled after {timings['ready_s']:.1f} s: {dict(statuses)}"
              + (f", still processing: {len(pending)}" if pending else ""), flush=True)
        ready = [pid for pid in post_ids if pid in ready_ids]  # only these are in the feed and checked

        st, limits, _ = await call(s, "GET", f"{api}/v1/limits", users[0]["token"])
        rate = limits["rates"]["comments"]
        windows = CommentWindows(rate["limit"], rate["window_s"], [[0, 0] for _ in users], range(len(users)))

        # Comments: skewed over the posts, users round-robin and never over their window.
        targets, rng = Targets(ready), random.Random(11)
        comment_statuses = collections.Counter()
        next_i = iter(range(args.comments))
        t1 = time.monotonic()

        async def commenter():
            for i in next_i:
                while (u := windows.take()) is None:
                    await asyncio.sleep(windows.seconds_left() + 0.05)
                key, pid = str(uuid.uuid4()), targets.pick(rng)
                while True:
                    st, _, h = await call(s, "POST", f"{api}/v1/posts/{pid}/comments", users[u]["token"],
                                          {"text": f"seed comment {i}"}, headers={"idempotency-key": key})
                    if st != 429:
                        break
                    await asyncio.sleep(float(h.get("retry-after", "1")))  # same key: 429s are not stored
                comment_statuses[st] += 1

        await asyncio.gather(*(commenter() for _ in range(args.concurrency)))
        timings["comments_s"] = time.monotonic() - t1
        created = comment_statuses[201]
        print(f"seed: {created} comments created in {timings['comments_s']:.1f} s "
              f"({created / max(timings['comments_s'], 1e-9):.0f}/s); statuses {dict(comment_statuses)}", flush=True)

    timings["total_s"] = time.monotonic() - t0
    state = {
        "api": api,
        "users": users,
        "posts": ready,
        "comment_limit": rate["limit"],
        "comment_window_s": rate["window_s"],
        "usage": windows.usage,
        "ledger": {"seeded": created, "created": created, "unknown": 0},
        "seed": {"posts_wanted": args.posts, "comments_wanted": args.comments, "users": args.users,
                 "post_failures": dict(failures), "post_statuses": dict(statuses),
                 "not_ready": len(pending), "comment_statuses": {str(k): v for k, v in comment_statuses.items()},
                 "timings": timings},
    }
    save_state(args.state, state)
    append_result(args.state, {"type": "seed", **state["seed"]})
    print(f"seed: done in {timings['total_s']:.1f} s", flush=True)


# ------------------------------------------------------------------------------------------- run

def worker_main(cfg, conn):
    """One load process: runs its share of one step and sends back raw samples."""
    try:
        cpu0 = time.process_time()
        out = run_async(drive(cfg))
        out["cpu_s"] = time.process_time() - cpu0
        conn.send(out)
    except BaseException as e:  # noqa: BLE001 (reported to the parent)
        conn.send({"fatal": f"{type(e).__name__}: {e}"})
    finally:
        conn.close()


async def drive(cfg):
    rng = random.Random(cfg["seed"])
    api, tokens, posts = cfg["api"], cfg["tokens"], cfg["posts"]
    targets = Targets(posts)
    windows = CommentWindows(cfg["comment_limit"], cfg["comment_window_s"], cfg["usage"], cfg["mine"])
    rate, workers, index = cfg["rate"], cfg["workers"], cfg["index"]
    interval = workers / rate
    start = cfg["start_at"]
    end = start + cfg["duration"]
    kill_at = start + cfg["kill_after"] if cfg.get("kill_after") is not None else None
    stop_at = end  # after a kill the load goes on (and is refused) until the end of the step
    feed_share, post_share = cfg["mix"][0] / 100, (cfg["mix"][0] + cfg["mix"][1]) / 100

    lat = {k: [] for k in KINDS}           # ms, every request that got an HTTP answer
    statuses = {k: collections.Counter() for k in KINDS}
    errors = {k: collections.Counter() for k in KINDS}
    lags = []                              # ms between due time and actual send
    inflight = collections.Counter()
    cursors = collections.deque(maxlen=1000)
    feed_seen = [0]
    last_done = [start]
    kill = {}
    fate = collections.Counter()           # comment creates without a definite answer
    sem = asyncio.Semaphore(cfg["max_inflight"])

    async with session(limit=cfg["max_inflight"], timeout=cfg["timeout"]) as s:

        async def one(kind, due, method, url, headers, body):
            sent = time.monotonic()
            lags.append((sent - due) * 1000)
            inflight[kind] += 1
            try:
                async with s.request(method, url, headers=headers, json=body) as r:
                    data = await r.read()
                    status = r.status
                done = time.monotonic()
                lat[kind].append((done - due) * 1000)
                statuses[kind][status] += 1
                if kind == "comment" and status >= 500:
                    fate["unknown"] += 1
                if status != EXPECTED[kind]:
                    errors[kind][str(status)] += 1
                elif kind == "feed":
                    feed_seen[0] += 1
                    if feed_seen[0] % 2 == 0:  # harvest cursors from half the pages (parsing costs)
                        nxt = json.loads(data).get("next_cursor")
                        if nxt:
                            cursors.append(nxt)
                last_done[0] = max(last_done[0], done)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
                errors[kind][type(e).__name__] += 1
                statuses[kind]["none"] += 1
                if kind == "comment":
                    # Sent before the kill (or no kill): it may or may not have been stored.
                    fate["refused_after_kill" if sent > kill.get("t", float("inf")) else "unknown"] += 1
                last_done[0] = max(last_done[0], time.monotonic())
            finally:
                inflight[kind] -= 1
                sem.release()

        async def killer():
            # Halfway, then at the first moment a comment create is in flight (up to 2 s later),
            # so the kill lands on a write; two loop turns let its request reach the socket.
            await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                if inflight["comment"] > 0:
                    await asyncio.sleep(0)
                    await asyncio.sleep(0)
                    if inflight["comment"] > 0:
                        break
                await asyncio.sleep(0)
            kill["inflight"] = {k: v for k, v in inflight.items() if v}
            if cfg.get("kill_pid") and index == 0:
                os.kill(cfg["kill_pid"], signal.SIGKILL)
                kill["t"] = time.monotonic()
                kill["killed_at_s"] = kill["t"] - start

        tasks = set()
        killer_task = asyncio.ensure_future(killer()) if kill_at else None
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        due_count = max(0, math.ceil(((stop_at - start) * rate - index) / workers))
        sent = no_user = cap_waits = 0
        for i in range(due_count):
            due = start + (index + i * workers) / rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if sem.locked():
                cap_waits += 1
            await sem.acquire()
            if time.monotonic() >= stop_at:
                sem.release()
                break
            r = rng.random()
            headers = {"authorization": "Bearer " + tokens[rng.randrange(len(tokens))]}
            body = None
            if r < feed_share:
                kind, method = "feed", "GET"
                url = f"{api}/v1/posts?limit=20"
                if cursors and rng.random() < 0.25:
                    url += "&cursor=" + quote(cursors[rng.randrange(len(cursors))], safe="")
            elif r < post_share:
                kind, method = "post", "GET"
                url = f"{api}/v1/posts/{posts[rng.randrange(len(posts))]}"
            else:
                kind, method = "comment", "POST"
                u = windows.take()
                if u is None:  # every user at the comment limit: more --users needed for this rate
                    no_user += 1
                    sem.release()
                    continue
                headers = {"authorization": "Bearer " + tokens[u], "idempotency-key": str(uuid.uuid4())}
                body = {"text": f"load comment {index}-{i}"}
                url = f"{api}/v1/posts/{targets.pick(rng)}/comments"
            t = asyncio.ensure_future(one(kind, due, method, url, headers, body))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
            sent += 1
        if tasks:
            await asyncio.wait(set(tasks))
        if killer_task:
            await killer_task

    return {
        "lat": lat, "lags": lags, "sent": sent, "due": due_count, "no_user": no_user, "cap_waits": cap_waits,
        "statuses": {k: {str(c): n for c, n in v.items()} for k, v in statuses.items()},
        "errors": {k: dict(v) for k, v in errors.items()},
        "last_done": last_done[0], "start": start, "kill": kill, "fate": dict(fate),
        "usage": {u: windows.usage[u] for u in cfg["mine"]},
    }


def cpu_seconds(pid):
    """utime + stime of a process (None if it is gone or not ours to read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds():
    """CPU seconds spent busy by all the machine's cores so far (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def run_step(state, args, rate, label, kill_after=None):
    """Runs one step at `rate` req/s in args.workers processes; returns the summary dict."""
    n = max(1, args.workers)
    server_cpu0 = cpu_seconds(args.server_pid) if args.server_pid else None
    machine0 = machine_busy_seconds()
    start_at = time.monotonic() + 0.5 + 0.2 * n
    tokens = [u["token"] for u in state["users"]]
    ctx = multiprocessing.get_context("fork")
    procs = []
    for w in range(n):
        cfg = {
            "api": state["api"], "tokens": tokens, "posts": state["posts"], "rate": rate,
            "workers": n, "index": w, "start_at": start_at, "duration": args.duration,
            "kill_after": kill_after, "kill_pid": args.kill_pid, "max_inflight": max(1, args.max_inflight // n),
            "timeout": args.timeout, "mix": args.mix, "seed": f"{label}-{rate}-{w}",
            "comment_limit": state["comment_limit"], "comment_window_s": state["comment_window_s"],
            "usage": state["usage"], "mine": list(range(w, len(tokens), n)),
        }
        parent, child = ctx.Pipe(duplex=False)
        p = ctx.Process(target=worker_main, args=(cfg, child))
        p.start()
        child.close()
        procs.append((p, parent))
    parts = []
    for p, conn in procs:
        parts.append(conn.recv())
        p.join()
    for part in parts:
        if "fatal" in part:
            raise SystemExit(f"load worker failed: {part['fatal']}")

    server_cpu1 = cpu_seconds(args.server_pid) if args.server_pid else None
    machine1 = machine_busy_seconds()
    lat = {k: sorted(itertools.chain.from_iterable(p["lat"][k] for p in parts)) for k in KINDS}
    every = sorted(itertools.chain.from_iterable(lat.values()))
    lags = sorted(itertools.chain.from_iterable(p["lags"] for p in parts))
    statuses = {k: collections.Counter() for k in KINDS}
    errors = {k: collections.Counter() for k in KINDS}
    for part in parts:
        for k in KINDS:
            statuses[k].update(part["statuses"][k])
            errors[k].update(part["errors"][k])
        for u, v in part["usage"].items():
            state["usage"][int(u)] = v
    sent = sum(p["sent"] for p in parts)
    due = sum(p["due"] for p in parts)
    answered = len(every)
    elapsed = max(p["last_done"] for p in parts) - start_at
    n_err = sum(sum(e.values()) for e in errors.values())
    fate = sum((collections.Counter(p["fate"]) for p in parts), collections.Counter())
    created = statuses["comment"].get("201", 0)
    res = {
        "type": "step", "label": label, "target": rate, "duration": args.duration, "workers": n,
        "max_inflight": args.max_inflight,
        "due": due, "sent": sent, "answered": answered, "elapsed_s": round(elapsed, 3),
        "achieved": round(answered / elapsed, 1) if elapsed > 0 else 0.0,
        "p50": pct(every, 50), "p99": pct(every, 99), "p999": pct(every, 99.9), "max": every[-1] if every else None,
        "errors": n_err, "error_rate": n_err / sent if sent else 0.0,
        "lag_p99": pct(lags, 99),
        # Average cores busy during the step: the server (when its pid is known) and this client.
        "server_cores": (round((server_cpu1 - server_cpu0) / elapsed, 2)
                         if server_cpu0 is not None and server_cpu1 is not None and elapsed > 0 else None),
        "client_cores": round(sum(p["cpu_s"] for p in parts) / elapsed, 2) if elapsed > 0 else None,
        "machine_cores": (round((machine1 - machine0) / elapsed, 2)
                          if machine0 is not None and machine1 is not None and elapsed > 0 else None),
        "no_user": sum(p["no_user"] for p in parts),
        "cap_waits": sum(p["cap_waits"] for p in parts),
        "by_kind": {k: {"n": len(lat[k]) + statuses[k].get("none", 0), "p50": pct(lat[k], 50),
                        "p99": pct(lat[k], 99), "errors": dict(errors[k])} for k in KINDS},
        "statuses": {k: dict(v) for k, v in statuses.items()},
        "comments_created": created, "comments_unknown": fate["unknown"],
        "comments_refused_after_kill": fate["refused_after_kill"],
    }
    if kill_after is not None:
        res["kill"] = {
            "after_s": kill_after,
            "killed_at_s": next((p["kill"].get("killed_at_s") for p in parts if "killed_at_s" in p["kill"]), None),
            "inflight": dict(sum((collections.Counter(p["kill"].get("inflight", {})) for p in parts),
                                 collections.Counter())),
        }
    res["held"] = holds(res)
    state["ledger"]["created"] += created
    state["ledger"]["unknown"] += res["comments_unknown"]
    return res


def holds(r):
    return (r["achieved"] >= HOLD_ACHIEVED * r["target"] and r["p99"] is not None
            and r["p99"] <= HOLD_P99_MS and r["error_rate"] <= HOLD_ERRORS)


def why_failed(r):
    """Which criterion a step missed, and a hint at whether the server or this client was behind."""
    why = []
    if r["achieved"] < HOLD_ACHIEVED * r["target"]:
        why.append(f"achieved {r['achieved']:.0f} < {HOLD_ACHIEVED:.0%} of {r['target']}")
    if r["p99"] is None or r["p99"] > HOLD_P99_MS:
        why.append(f"p99 {fmt_ms(r['p99'])} ms > {HOLD_P99_MS:g} ms")
    if r["error_rate"] > HOLD_ERRORS:
        why.append(f"errors {r['error_rate']:.2%} > {HOLD_ERRORS:.1%}")
    if r["cap_waits"]:
        why.append(f"the {r['max_inflight']} in-flight requests were all taken {r['cap_waits']} times (answers too slow)")
    elif (r["lag_p99"] or 0) > 10:
        why.append(f"requests went out late (send lag p99 {fmt_ms(r['lag_p99'])} ms) without the in-flight cap being "
                   f"reached: this client or the machine was short of CPU (machine {fmt_cores(r.get('machine_cores'))} "
                   f"of {os.cpu_count()} cores busy)")
    return "; ".join(why)


def fmt_cores(v):
    return "-" if v is None else f"{v:.2f}"


def fmt_ms(v):
    return "-" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def step_line(r):
    k = r["by_kind"]
    return (f"  {r['label']:>6} {r['target']:>6} req/s: achieved {r['achieved']:8.1f}  p50 {fmt_ms(r['p50'])} ms  "
            f"p99 {fmt_ms(r['p99'])} ms  errors {r['errors']} ({r['error_rate']:.2%})  "
            f"p99 feed/post/comment {fmt_ms(k['feed']['p99'])}/{fmt_ms(k['post']['p99'])}/{fmt_ms(k['comment']['p99'])}"
            f"  send lag p99 {fmt_ms(r['lag_p99'])} ms  in-flight cap hit {r['cap_waits']}x  "
            f"cores server/client/machine {fmt_cores(r.get('server_cores'))}/{fmt_cores(r.get('client_cores'))}/"
            f"{fmt_cores(r.get('machine_cores'))} of {os.cpu_count()}  "
            + ("held" if r["held"] else "FAILED: " + why_failed(r)))


def run(args):
    state = load_state(args.state)
    args.mix = [float(x) for x in args.mix.split(",")]
    done = {}

    def step(rate, label, kill_after=None):
        r = run_step(state, args, rate, label, kill_after)
        save_state(args.state, state)
        append_result(args.state, r)
        print(step_line(r), flush=True)
        if r["no_user"]:
            print(f"  note: {r['no_user']} comment creates not sent: every user at the comment limit "
                  f"(use more --users for this rate)", flush=True)
        time.sleep(args.pause)
        return r

    if args.kill_after is not None:
        rate = int(args.rates.split(",")[0])
        r = step(rate, args.label or "kill", args.kill_after)
        kk = r["kill"]
        print(f"  kill -9 at {kk['killed_at_s']:.3f} s: in flight {kk['inflight']}; comment creates "
              f"{r['statuses']['comment']}: {r['comments_unknown']} unanswered that were sent before the kill, "
              f"{r['comments_refused_after_kill']} refused after it", flush=True)
        return
    for rate in [int(x) for x in args.rates.split(",") if x]:
        done[rate] = step(rate, args.label or "fixed")
    if not args.search:
        return
    held, failed = None, None
    rate = args.search_from
    while rate <= args.search_max:
        r = done.get(rate) or step(rate, "search")
        done[rate] = r
        if not r["held"]:
            failed = rate
            break
        held = rate
        rate += args.search_step
    for _ in range(args.refine if failed else 0):  # bisect between the last held and the first failed
        lo = held or max([x for x in done if done[x]["held"] and x < failed], default=0)
        mid = (lo + failed) // 2
        if lo == 0 or failed - lo <= args.search_step // 8 or mid in done:
            break
        r = step(mid, "refine")
        done[mid] = r
        if r["held"]:
            held = mid
        else:
            failed = mid
    if held is None:  # nothing in the search held; a lower fixed rate may have
        held = max([x for x in done if done[x]["held"] and (failed is None or x < failed)], default=None)
    append_result(args.state, {"type": "max", "held": held, "failed": failed,
                               "criteria": f"achieved >= {HOLD_ACHIEVED:.0%} of target, p99 <= {HOLD_P99_MS:g} ms, "
                                           f"errors <= {HOLD_ERRORS:.1%}"})


# ----------------------------------------------------------------------------------------- check

async def check(args):
    state = load_state(args.state)
    api = state["api"]
    t0 = time.monotonic()
    async with session(limit=args.concurrency * 2, timeout=60) as s:
        # A fresh login (tokens should survive a restart, but the check must not depend on it).
        name = state["users"][0]["name"]
        st, tok, _ = await call(s, "POST", f"{api}/v1/tokens", body={"username": name, "password": PASSWORD})
        if st != 200:
            raise SystemExit(f"check: login: {st} {tok}")
        token = tok["access_token"]
        old = state["users"][0]["token"]
        st_old, _, _ = await call(s, "GET", f"{api}/v1/users/me", old)
        sem = asyncio.Semaphore(args.concurrency)
        out = collections.Counter()
        samples = []
        totals = {"listed": 0, "counted": 0}

        async def one(pid):
            async with sem:
                st, p, _ = await call(s, "GET", f"{api}/v1/posts/{pid}", token)
                if st != 200:
                    out[f"post {st}"] += 1
                    return
                st, comments = await walk(s, f"{api}/v1/posts/{pid}/comments?limit=100", token)
                if st != 200:
                    out[f"comments {st}"] += 1
                    return
                ids = [c["id"] for c in comments]
            out["checked"] += 1
            totals["listed"] += len(ids)
            totals["counted"] += p["comment_count"]
            if len(set(ids)) != len(ids):
                out["duplicate_listings"] += 1
            if p["comment_count"] != len(ids):
                out["count_mismatches"] += 1
                if len(samples) < 10:
                    samples.append({"post": pid, "comment_count": p["comment_count"], "listed": len(ids)})
            recent = [c["id"] for c in p.get("recent_comments", [])]
            if recent != ids[:2]:
                out["recent_mismatches"] += 1
                if len(samples) < 10:
                    samples.append({"post": pid, "recent_comments": recent, "first_listed": ids[:2]})

        await asyncio.gather(*(one(pid) for pid in state["posts"]))

        # The feed lists every ready post exactly once (walked at limit=100 after the load).
        st, listed = await walk(s, f"{api}/v1/posts?limit=100", token)
        if st != 200:
            out[f"feed {st}"] += 1
        feed = [p["id"] for p in listed]
    ledger = state["ledger"]
    lo, hi = ledger["created"], ledger["created"] + ledger["unknown"]
    res = {
        "type": "check", "label": args.label, "posts": len(state["posts"]), "checked": out["checked"],
        "count_mismatches": out["count_mismatches"], "recent_mismatches": out["recent_mismatches"],
        "duplicate_listings": out["duplicate_listings"],
        "other": {k: v for k, v in out.items() if k not in ("checked", "count_mismatches", "recent_mismatches",
                                                               "duplicate_listings")},
        "listed_total": totals["listed"], "count_total": totals["counted"],
        "expected_min": lo, "expected_max": hi, "seeded": ledger["seeded"],
        "feed_posts": len(feed), "feed_unique": len(set(feed)),
        "feed_missing": len(set(state["posts"]) - set(feed)),
        "old_token_status": st_old, "samples": samples, "seconds": round(time.monotonic() - t0, 1),
    }
    res["ok"] = (res["checked"] == res["posts"] and not res["count_mismatches"] and not res["recent_mismatches"]
                 and not res["duplicate_listings"] and not res["other"] and lo <= res["listed_total"] <= hi
                 and res["feed_missing"] == 0 and res["feed_posts"] == res["feed_unique"])
    append_result(args.state, res)
    print(check_line(res), flush=True)
    for sample in samples:
        print(f"  mismatch: {sample}", flush=True)


def check_line(c):
    extra = f", other {c['other']}" if c["other"] else ""
    return (f"consistency ({c['label']}): {'OK' if c['ok'] else 'FAILED'}: {c['checked']}/{c['posts']} posts checked, "
            f"{c['count_mismatches']} comment_count mismatches, {c['recent_mismatches']} recent_comments mismatches, "
            f"{c['duplicate_listings']} posts with a comment listed twice{extra}; comments listed {c['listed_total']} "
            f"(sum of comment_count {c['count_total']}), expected {c['expected_min']}"
            + (f"..{c['expected_max']}" if c["expected_max"] != c["expected_min"] else "")
            + f" (seeded {c['seeded']} + created under load"
            + (f", + {c['expected_max'] - c['expected_min']} unanswered creates, of which "
               f"{c['listed_total'] - c['expected_min']} turned out stored" if c["expected_max"] != c["expected_min"] else "")
            + "); "
            f"feed lists {c['feed_unique']} posts ({c['feed_posts'] - c['feed_unique']} repeats, {c['feed_missing']} missing); "
            f"a token from before answers {c['old_token_status']}; {c['seconds']} s")


# ---------------------------------------------------------------------------------------- report

def report(args):
    results = read_results(args.state)
    steps = [r for r in results if r["type"] == "step" and r["label"] != "kill"]
    print("| step | target req/s | achieved req/s | p50 ms | p99 ms | errors | feed p99 | post p99 | comment p99 "
          "| send lag p99 ms | cores: server / client / machine | held |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for r in steps:
        k = r["by_kind"]
        err = f"{r['errors']} ({r['error_rate']:.2%})"
        print(f"| {r['label']} | {r['target']} | {r['achieved']:.0f} | {fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} | {err} "
              f"| {fmt_ms(k['feed']['p99'])} | {fmt_ms(k['post']['p99'])} | {fmt_ms(k['comment']['p99'])} "
              f"| {fmt_ms(r['lag_p99'])} | {fmt_cores(r.get('server_cores'))} / {fmt_cores(r.get('client_cores'))} / "
              f"{fmt_cores(r.get('machine_cores'))} "
              f"| {'yes' if r['held'] else 'no'} |")
    print()
    for r in steps:
        errs = {k: v["errors"] for k, v in r["by_kind"].items() if v["errors"]}
        if errs:
            print(f"errors at {r['target']} req/s: {errs}")
    for m in (r for r in results if r["type"] == "max"):
        if m["held"] is None:
            print(f"**max sustainable rate: below {m['failed']} req/s** (no search step held; open-loop, {m['criteria']})")
        else:
            nxt = f"; {m['failed']} req/s did not" if m["failed"] else "; the search's upper bound was reached"
            print(f"**max sustainable rate: {m['held']} req/s** (highest open-loop step that held: {m['criteria']}{nxt})")
        for r in (r for r in steps if r["target"] == m["failed"]):
            print(f"at {m['failed']} req/s: {why_failed(r)}")
    print()
    for s in (r for r in results if r["type"] == "seed"):
        t = s["timings"]
        print(f"seeding: {s['users']} users, {s['post_statuses'].get('ready', 0)} posts ready "
              f"({s['posts_wanted']} wanted), {s['comment_statuses'].get('201', 0)} comments "
              f"({s['comments_wanted']} wanted): users+posts {t['users_and_posts_s']:.0f} s, ready at {t['ready_s']:.0f} s, "
              f"comments {t['comments_s']:.0f} s, total {t['total_s']:.0f} s")
    for c in (r for r in results if r["type"] == "check" and r["label"] != "after-kill"):
        print(check_line(c))
    for r in (r for r in results if r["type"] == "step" and r["label"] == "kill"):
        kk, cs = r["kill"], r["statuses"]["comment"]
        t = kk["killed_at_s"]
        print(f"kill -9: server killed {t:.3f} s into a {r['duration']:g} s run at {r['target']} req/s (halfway, then "
              f"the first moment with a comment create in flight); requests in flight at the kill: "
              f"{kk['inflight'] or 'none'}; comment creates: {cs.get('201', 0)} answered 201, "
              f"{r['comments_unknown']} sent before the kill and never answered (stored or not: the check allows "
              f"either), {r['comments_refused_after_kill']} refused after the kill; all statuses {r['statuses']}")
    for c in (r for r in results if r["type"] == "check" and r["label"] == "after-kill"):
        print(check_line(c))
    for r in (r for r in results if r["type"] == "restart"):
        print(f"restart: healthy {r['seconds']:.1f} s after start")


# ------------------------------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--state", required=True, help="directory for state.json and results.jsonl")
        return p

    p = common(sub.add_parser("seed", help="users, posts (real uploads) and comments through the API"))
    p.add_argument("--api", default="http://127.0.0.1:8080")
    p.add_argument("--posts", type=int, default=10000)
    p.add_argument("--comments", type=int, default=100000)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--image", default=DEFAULT_IMAGE)
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight while seeding")
    p.add_argument("--hash-concurrency", type=int, default=4, help="registrations/logins in flight (argon2)")
    p.add_argument("--ready-timeout", type=float, default=900)

    p = common(sub.add_parser("run", help="open-loop load steps"))
    p.add_argument("--rates", default="100,1000", help="fixed rates (req/s), comma-separated")
    p.add_argument("--search", action="store_true", help="then step up to the maximum sustainable rate")
    p.add_argument("--search-from", type=int, default=1000)
    p.add_argument("--search-step", type=int, default=1000)
    p.add_argument("--search-max", type=int, default=20000)
    p.add_argument("--refine", type=int, default=2, help="bisection steps between the last held and first failed")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per step")
    p.add_argument("--pause", type=float, default=2.0, help="seconds between steps")
    p.add_argument("--max-inflight", type=int, default=512)
    p.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    p.add_argument("--workers", type=int, default=1, help="load processes")
    p.add_argument("--mix", default="80,5,15", help="feed,post,comment percentages")
    p.add_argument("--kill-pid", type=int, help="kill -9 this pid --kill-after seconds into the (first) rate")
    p.add_argument("--kill-after", type=float)
    p.add_argument("--server-pid", type=int, help="report the server's CPU use per step (from /proc)")
    p.add_argument("--label")

    p = common(sub.add_parser("check", help="every post's comment_count against its listed comments"))
    p.add_argument("--label", default="normal")
    p.add_argument("--concurrency", type=int, default=32)

    p = common(sub.add_parser("report", help="markdown tables of everything in results.jsonl"))
    p = common(sub.add_parser("note", help="append a JSON object (argument) to results.jsonl"))
    p.add_argument("json")

    args = ap.parse_args()
    if args.cmd == "seed":
        run_async(seed(args))
    elif args.cmd == "run":
        if args.kill_after is not None and not args.kill_pid:
            ap.error("--kill-after needs --kill-pid")
        args.server_pid = args.server_pid or args.kill_pid
        run(args)
    elif args.cmd == "check":
        run_async(check(args))
    elif args.cmd == "report":
        report(args)
    elif args.cmd == "note":
        append_result(args.state, json.loads(args.json))


if __name__ == "__main__":
    main()
