"""The read load: GET one URL from many connections, optionally split over client processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from load_client import DEFAULT_TIMEOUT, Client
from load_tally import MAX_REQUESTS, Tally, cpu_seconds, summarise


def _get_worker(
    host: str,
    port: int,
    path: str,
    concurrency: int,
    seconds: float,
    max_requests: int,
    cookies: dict | None,
    ok: set[int],
) -> dict:
    tally = Tally()
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds

    def loop() -> None:
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
    return summarise(tally, wall, cpu_seconds() - cpu0, ok)


def run_get(
    host: str,
    port: int,
    path: str,
    *,
    concurrency: int = 10,
    seconds: float = 5.0,
    max_requests: int = MAX_REQUESTS,
    cookies: dict | None = None,
    ok: Iterable[int] = (200,),
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
