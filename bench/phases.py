"""The read phases: warm-up, timed rounds against one URL, the cold render, the static-files check.

Each adds its row to the results in the order it runs, which is the order of
the table. The write phase is in writes.py.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from common import BENCH_DIR, PYTHON, log, run_subprocess
from database import Database
from load_client import Client
from load_tally import MAX_REQUESTS
from noise import cpu_snapshot, other_cpu, wait_for_quiet
from report import Results
from server import Server

SAMPLE_PATH = "/articles/altman-reflections/"


@dataclass
class Context:
    """The running server and what the phases need to drive it."""

    args: argparse.Namespace
    port: int
    workers: int
    concurrency: int
    server: Server
    db: Database
    server_env: dict
    client_env: dict
    info: dict  # what the seed wrote (bench/seed.py): slugs, ids, accounts, counts
    results: Results


def median(values: Iterable[float]) -> float:
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def load_get(
    port: int,
    path: str,
    *,
    seconds: float,
    concurrency: int,
    procs: int,
    cookies: dict | None = None,
    env: dict,
    max_requests: int = MAX_REQUESTS,
) -> dict:
    args = [
        PYTHON,
        str(BENCH_DIR / "load.py"),
        "--port",
        str(port),
        "--seconds",
        str(seconds),
        "--max-requests",
        str(max_requests),
        "get",
        "--path",
        path,
        "--concurrency",
        str(concurrency),
        "--procs",
        str(procs),
    ]
    for name, value in (cookies or {}).items():
        args += ["--cookie", f"{name}={value}"]
    out = run_subprocess(args, env, seconds + 180, f"load on {path}")
    return json.loads(out.strip().splitlines()[-1])


# a phase: warm up, then `rounds` timed runs; the row keeps the medians
def read_phase(
    ctx: Context,
    label: str,
    path: str,
    *,
    login: tuple[str, str, str] | None = None,
    key: str,
    probe_404: bool = False,
) -> dict | None:
    args = ctx.args
    cookies = login_cookies(ctx.port, login, path) if login else {}
    if probe_404:
        client = Client("127.0.0.1", ctx.port, timeout=120)
        client.cookies.update(cookies)
        status = client.get(path).status
        if status == 404:
            ctx.results.rows.append({"label": label, "na": "n/a (404)"})
            ctx.results.phases[key] = {"status": 404}
            log(f"{label}: 404, skipped")
            return None
    warm = warm_up(ctx, label, path, cookies)
    rounds = []
    for i in range(args.rounds):
        wait_for_quiet(ctx.server, label, args.quiet_wait, args.quiet_below)
        before = cpu_snapshot(ctx.server)
        result = load_get(
            ctx.port,
            path,
            seconds=args.read_seconds,
            concurrency=ctx.concurrency,
            procs=args.client_procs,
            cookies=cookies,
            env=ctx.client_env,
        )
        result["other_cpu_cores"] = other_cpu(before, cpu_snapshot(ctx.server), result["client_cpu_seconds"])
        log(
            f"{label}: round {i + 1}/{args.rounds}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, "
            f"p95 {result['p95_ms']:.1f} ms, {result['failed']} failed, {result['bytes_per_response']} B; "
            f"other processes used {result['other_cpu_cores']:.2f} cores"
        )
        rounds.append(result)
    row = {
        "label": label,
        "rps": median([r["rps"] for r in rounds]),
        "p50": median([r["p50_ms"] for r in rounds]),
        "p95": median([r["p95_ms"] for r in rounds]),
        "n": sum(r["requests"] for r in rounds),
        "errors": sum(r["failed"] for r in rounds) + warm["failed"],
        "bytes": rounds[-1]["bytes_per_response"],
        "client_cpu": median([r["client_cpu_seconds"] / max(r["seconds"], 1e-9) for r in rounds]),
        "other_cpu": median([r["other_cpu_cores"] for r in rounds]),
        "statuses": [r["statuses"] for r in rounds],
    }
    ctx.results.record(key, row, rounds=rounds, warm_up=warm)
    return row


def admin_login(info: dict) -> tuple[str, str, str]:
    """The admin's login form and the seeded superuser's credentials (for ``read_phase(login=…)``)."""
    return ("/admin/login/", info["admin"], info["password"])


def login_cookies(port: int, login: tuple[str, str, str], next_url: str) -> dict:
    client = Client("127.0.0.1", port, timeout=60)
    client.login(*login, next_url=next_url)
    client.close()
    return dict(client.cookies)


def warm_up(
    ctx: Context, label: str, path: str, cookies: dict, max_requests: int = 300, max_seconds: float = 300
) -> dict:
    """Request the page until every worker serves it from its cache.

    With the local-memory cache each worker has a cache of its own, so a
    page is warm only once every worker has rendered it. Two connections
    at a time (not the full concurrency: five simultaneous cold renders of
    a heavy page can outlast the worker timeout) until none of the last
    3 × workers responses took more than 3 × their median.
    """
    lock = threading.Lock()
    latencies, statuses, failed = [], {}, [0]
    deadline = time.monotonic() + max_seconds
    need = 3 * ctx.workers

    def warm_enough() -> bool:
        if len(latencies) < need:
            return False
        window = latencies[-need:]
        typical = statistics.median(window)
        return all(x < 3 * typical + 0.02 for x in window)

    def loop() -> None:
        client = Client("127.0.0.1", ctx.port, timeout=120)
        client.cookies.update(cookies)
        while time.monotonic() < deadline:
            with lock:
                if len(latencies) + failed[0] >= max_requests or warm_enough():
                    return
            try:
                resp = client.get(path)
            except Exception:  # noqa: BLE001
                with lock:
                    failed[0] += 1
                continue
            with lock:
                latencies.append(resp.seconds)
                statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
                if resp.status != 200:
                    failed[0] += 1

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 130)
    typical = statistics.median(latencies[-need:]) if latencies else 0
    slow = sum(1 for x in latencies if x >= 3 * typical + 0.02)
    log(
        f"{label}: warmed up in {len(latencies)} requests ({slow} slow ones, the slowest "
        f"{max(latencies, default=0) * 1000:.0f} ms){'' if warm_enough() else ' — NOT settled'}"
    )
    return {
        "requests": len(latencies),
        "slow": slow,
        "failed": failed[0],
        "statuses": statuses,
        "settled": warm_enough(),
        "max_ms": max(latencies, default=0) * 1000,
    }


def cold_render(ctx: Context, label: str, path: str, article_id: int, samples: int) -> dict:
    times, statuses = [], []
    client = Client("127.0.0.1", ctx.port, timeout=120)
    client.get(path)  # make sure the warm workers have served this page once
    for i in range(samples):
        ctx.db.touch_article(article_id)
        # A new query string per sample: the whole anonymous page (annotations/page_cache.py, keyed by the
        # address) misses as it does after an edit's version bump, and the touched updated_at makes the
        # body fragment miss; the unknown parameter changes nothing else.
        resp = client.get(f"{path}?cold={time.time_ns()}")
        times.append(resp.seconds)
        statuses.append(resp.status)
        log(f"{label}: sample {i + 1}/{samples}: {resp.status} in {resp.seconds * 1000:.0f} ms")
    row = {
        "label": label,
        "rps": None,
        "p50": median(times) * 1000,
        "p95": max(times) * 1000,
        "n": samples,
        "errors": sum(1 for s in statuses if s != 200),
        "cold": True,
    }
    ctx.results.record("large_cold", row, seconds=times, statuses=statuses)
    return row


def static_check(port: int) -> str:
    client = Client("127.0.0.1", port)
    page = client.get(SAMPLE_PATH).body.decode("utf-8", "replace")
    match = re.search(r'href="(/static/css/[^"]+\.[0-9a-f]{12}\.css)"', page)
    if not match:
        return "static: MISS (no hashed stylesheet URL in the page)"
    url = match.group(1)
    br = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    cache = br.header("Cache-Control") or ""
    good = (
        br.status == 200
        and "immutable" in cache
        and br.header("Content-Encoding") == "br"
        and gz.header("Content-Encoding") == "gzip"
    )
    return (
        f"static: {'PASS' if good else 'MISS'} {url} → {br.status}, Cache-Control '{cache}', "
        f"brotli {len(br.body)} B / gzip {len(gz.body)} B"
    )
