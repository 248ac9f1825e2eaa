"""A small HTTP load generator (standard library only), run in its own process.

    python bench/load.py get --port P --path /healthz [--concurrency 10] [--seconds 5]
        [--login-path /admin/login/ --username U --password PW] [--procs 1]
    python bench/load.py writes --port P --info bench/results/seed-….json [--seconds 30]

Both print one JSON object: request count, requests per second, latency
percentiles (ms), status counts, errors, and the client's CPU time (so a
client-bound run shows). Every loop is bounded twice: by a deadline and by a
maximum number of requests. Clients speak HTTP/1.1 with a cookie jar of their
own and log in like a browser (GET the form for the CSRF cookie, POST it with
the token and an Origin header).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import resource
import statistics
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

DEFAULT_TIMEOUT = 30.0
MAX_REQUESTS = 1_000_000  # a hard bound on any run, whatever the deadline


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class Client:
    """One HTTP/1.1 connection (re-opened when the server closes it) with a cookie jar."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, forwarded_for: str | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for
        self._conn: http.client.HTTPConnection | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, data: dict | None = None, headers: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        hdrs = {"Host": f"{self.host}:{self.port}", "User-Agent": "annotations-bench/1", "Accept-Encoding": "identity"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            hdrs["Origin"] = self.origin
            hdrs["Referer"] = self.origin + path
        if self.forwarded_for:
            hdrs["X-Forwarded-For"] = self.forwarded_for
        hdrs.update(headers or {})
        for _attempt in (1, 2):
            reused = self._conn is not None
            if not reused:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=hdrs)
                resp = self._conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # only a kept-alive connection the server had already closed is retried (on a new one)
                self.close()
                if not reused:
                    raise
                continue
            except Exception:
                self.close()
                raise
            break
        elapsed = time.perf_counter() - started
        headers_list = resp.getheaders()
        for value in resp.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if resp.will_close:
            self.close()
        return Response(resp.status, headers_list, payload, elapsed)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
        return self.request("POST", path, data=data, **kw)

    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def login(self, path: str, username: str, password: str, next_url: str = "/") -> None:
        """Log in through a Django login form; raises RuntimeError when it fails."""
        form = self.get(f"{path}?next={urllib.parse.quote(next_url)}")
        if form.status != 200 or not self.csrf_token():
            raise RuntimeError(f"GET {path}: {form.status}, no CSRF cookie")
        done = self.post(path, {"username": username, "password": password, "next": next_url})
        if done.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} through {path} failed: {done.status}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: str, seconds: float | None, size: int = 0, error: str | None = None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if seconds is not None:
                self.latencies.append(seconds)
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            self.bytes += size


def summarise(tally: Tally, wall: float, cpu: float, ok: set[int]) -> dict:
    lat = [s * 1000 for s in tally.latencies]
    total = sum(tally.statuses.values())
    good = sum(n for s, n in tally.statuses.items() if s.isdigit() and int(s) in ok)
    return {
        "requests": total,
        "ok": good,
        "failed": total - good,
        "seconds": round(wall, 3),
        "rps": round(total / wall, 2) if wall > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "mean_ms": round(statistics.fmean(lat), 2) if lat else float("nan"),
        "max_ms": round(max(lat), 2) if lat else float("nan"),
        "statuses": tally.statuses,
        "errors": tally.errors,
        "bytes_per_response": round(tally.bytes / total) if total else 0,
        "client_cpu_seconds": round(cpu, 2),
        "latencies_ms": lat,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- reads ----------------------------------------------------------------------


def _get_worker(host, port, path, concurrency, seconds, max_requests, cookies, ok) -> dict:
    tally = Tally()
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()
    cpu0 = _cpu()
    started = time.perf_counter()
    deadline = started + seconds

    def loop():
        client = Client(host, port)
        client.cookies.update(cookies or {})
        while time.perf_counter() < deadline:
            with counter_lock:
                if next(counter, None) is None:
                    break
            try:
                resp = client.get(path)
            except Exception as exc:  # noqa: BLE001 — every failure is counted, none stops the run
                tally.add("error", None, error=type(exc).__name__)
                continue
            tally.add(str(resp.status), resp.seconds, len(resp.body))
        client.close()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + DEFAULT_TIMEOUT + 5)
    wall = time.perf_counter() - started
    return summarise(tally, wall, _cpu() - cpu0, ok)


def run_get(
    host: str,
    port: int,
    path: str,
    *,
    concurrency: int = 10,
    seconds: float = 5.0,
    max_requests: int = MAX_REQUESTS,
    cookies: dict | None = None,
    ok=(200,),
    procs: int = 1,
) -> dict:
    """Hammer one URL with ``concurrency`` connections for ``seconds`` (or ``max_requests``)."""
    ok = set(ok)
    if procs <= 1:
        return _get_worker(host, port, path, concurrency, seconds, max_requests, cookies, ok)
    per = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(max_workers=procs) as pool:
        futures = [
            pool.submit(_get_worker, host, port, path, n, seconds, max_requests // procs, cookies, ok) for n in per if n
        ]
        parts = [f.result(timeout=seconds + 2 * DEFAULT_TIMEOUT) for f in futures]
    tally = Tally()
    for part in parts:
        tally.latencies += [ms / 1000 for ms in part["latencies_ms"]]
        for s, n in part["statuses"].items():
            tally.statuses[s] = tally.statuses.get(s, 0) + n
        for e, n in part["errors"].items():
            tally.errors[e] = tally.errors.get(e, 0) + n
        tally.bytes += part["bytes_per_response"] * part["requests"]
    wall = max(p["seconds"] for p in parts)
    return summarise(tally, wall, sum(p["client_cpu_seconds"] for p in parts), ok)


# --- writes ---------------------------------------------------------------------


def annotate_form(paragraph: dict, rng: random.Random, serial: str) -> dict:
    """The annotate form as a browser posts it: a note (mostly) or a fact-check, often on a quote."""
    text = paragraph["text"]
    data = {
        "kind": "note",
        "body": f"Benchmark note {serial}: the copy *drifts* here.",
        "tags": "bench, load",
        "visibility": "public",
        "quote": "",
        "quote_start": "",
        "quote_end": "",
        "offsets_unit": "",
        "claim": "",
        "verdict": "",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "10",
    }
    if rng.random() < 0.7:
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
        first = rng.randrange(0, max(1, len(starts) - 4))
        start, end = starts[first], starts[min(len(starts) - 1, first + rng.randint(2, 8))] - 1
        data.update(quote=text[start:end], quote_start=str(start), quote_end=str(end))
    if rng.random() < 0.2:
        data.update(
            {
                "kind": "fact_check",
                "verdict": rng.choice(["misleading", "mistranslation", "accurate"]),
                "body": f"Benchmark fact-check {serial}: the original says otherwise.",
                "evidence-TOTAL_FORMS": "1",
                "evidence-0-url": f"https://example.org/source/{serial}",
                "evidence-0-title": f"Source {serial}",
            }
        )
    return data


def run_writes(
    host: str,
    port: int,
    *,
    slug: str,
    paragraphs: list[dict],
    usernames: list[str],
    password: str,
    seconds: float = 30.0,
    max_requests: int = MAX_REQUESTS,
    login_path: str = "/accounts/login/",
) -> dict:
    """One logged-in annotator per thread, each POSTing the annotate form until the deadline."""
    clients, login_errors = [], []

    def login(username):
        client = Client(host, port)
        try:
            client.login(login_path, username, password)
        except Exception as exc:  # noqa: BLE001
            login_errors.append(f"{username}: {exc}")
            return
        clients.append((username, client))

    login_threads = [threading.Thread(target=login, args=(u,), daemon=True) for u in usernames]
    for t in login_threads:
        t.start()
    for t in login_threads:
        t.join(120)
    tally = Tally()
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()
    cpu0 = _cpu()
    started = time.perf_counter()
    deadline = started + seconds

    def loop(index: int, username: str, client: Client):
        rng = random.Random(index)
        n = 0
        while time.perf_counter() < deadline:
            with counter_lock:
                if next(counter, None) is None:
                    break
            n += 1
            paragraph = rng.choice(paragraphs)
            path = f"/articles/{slug}/p/{paragraph['key']}/annotate/"
            try:
                resp = client.post(path, annotate_form(paragraph, rng, f"{username}-{n}"))
            except Exception as exc:  # noqa: BLE001
                tally.add("error", None, error=type(exc).__name__)
                continue
            error = None if resp.status == 302 else f"HTTP {resp.status}"
            tally.add(str(resp.status), resp.seconds, len(resp.body), error)
        client.close()

    threads = [threading.Thread(target=loop, args=(i, u, c), daemon=True) for i, (u, c) in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + DEFAULT_TIMEOUT + 5)
    result = summarise(tally, time.perf_counter() - started, _cpu() - cpu0, {302})
    result["writers"] = len(clients)
    result["login_errors"] = login_errors
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--latencies", action="store_true", help="include every latency in the JSON")
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("get")
    get.add_argument("--path", required=True)
    get.add_argument("--concurrency", type=int, default=10)
    get.add_argument("--procs", type=int, default=1, help="client processes (the threads are split between them)")
    get.add_argument("--ok", default="200", help="comma-separated statuses that count as success")
    get.add_argument(
        "--cookie", action="append", default=[], metavar="NAME=VALUE", help="a cookie to send (repeatable)"
    )
    get.add_argument("--login-path", help="log in through this form first (with --username and --password)")
    get.add_argument("--username")
    get.add_argument("--password")
    writes = sub.add_parser("writes")
    writes.add_argument("--info", required=True, help="the seed's JSON (slug, paragraphs, writers, password)")
    writes.add_argument("--writers", type=int, default=0, help="how many of the seeded writers (0: all)")
    args = parser.parse_args(argv)

    if args.command == "get":
        cookies = dict(c.split("=", 1) for c in args.cookie)
        if args.login_path:
            client = Client(args.host, args.port)
            client.login(args.login_path, args.username, args.password, next_url=args.path)
            cookies = dict(client.cookies)
            client.close()
        ok = {int(s) for s in args.ok.split(",") if s.strip()}
        result = run_get(
            args.host,
            args.port,
            args.path,
            concurrency=args.concurrency,
            seconds=args.seconds,
            max_requests=args.max_requests,
            cookies=cookies,
            ok=ok,
            procs=args.procs,
        )
    else:
        with open(args.info) as fh:
            info = json.load(fh)
        usernames = info["writers"][: args.writers or None]
        result = run_writes(
            args.host,
            args.port,
            slug=info["writes"]["slug"],
            paragraphs=info["writes"]["paragraphs"],
            usernames=usernames,
            password=info["password"],
            seconds=args.seconds,
            max_requests=args.max_requests,
        )
    if not args.latencies:
        result.pop("latencies_ms", None)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
