"""Benchmark the production set-up: gunicorn + WhiteNoise + the real settings, DEBUG off.

    .venv/bin/python bench/run.py            # full: ~4 minutes on 2 cores
    .venv/bin/python bench/run.py --quick    # smoke run: small data, short phases (~1 minute)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/run.py --redis

What it does, in order:

1. makes a database of its own: a SQLite file under bench/results/, or, when
   DATABASE_URL names a PostgreSQL server, a throwaway ``bench_…`` database on
   that server; migrates it and seeds it (bench/seed.py, bulk inserts);
2. collects the static files and starts gunicorn with config/gunicorn.py and
   production settings (DEBUG=false, a generated SECRET_KEY, ALLOWED_HOSTS
   127.0.0.1, no HTTPS redirect, rate limits off so they do not shape the
   numbers, the local-memory cache or Redis with ``--redis``);
3. drives it from separate client processes (bench/load.py), phase by phase,
   each phase repeated ``--rounds`` times, and prints one table of medians with
   each throughput as a ratio of the /healthz baseline, then the goals with
   PASS/MISS;
4. stops the server and drops the database (unless ``--keep-db``), also on
   Ctrl-C and errors.

Cold render: the article body fragment is cached under a key made of the
article's version (in the cache), its ``updated_at`` and its source's
``updated_at`` (both read from the database on every request). Before each
cold sample the benchmark sets the article's ``updated_at`` in the database,
so the next request, whichever worker takes it, misses the cache and renders
the body from the database: the same miss an edit or an annotation causes,
measured identically on the per-process local-memory cache and on Redis, in
workers that are already warm (imports and templates loaded), so it is the
render that is timed, not process start-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BASE_DIR))

import load  # noqa: E402  (bench/load.py, beside this file)

VENV_PYTHON = BASE_DIR / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
SAMPLE_PATH = "/articles/altman-reflections/"
GOAL_WARM_RATIO = 0.5
GOAL_COLD_SECONDS = 1.0
GOAL_WORKER_MB = 300


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted(f"signal {signum}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the database -----------------------------------------------------------------


class Database:
    """The benchmark's own database: a SQLite file, or a throwaway PostgreSQL database."""

    def __init__(self, server_url: str | None, size: str, keep: bool, sqlite_options: str = ""):
        self.keep = keep
        self.reused = False
        if server_url and server_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            self.kind = "postgresql"
            parts = urllib.parse.urlsplit(server_url)
            self.name = f"bench_keep_{size}" if keep else f"bench_{size}_{secrets.token_hex(4)}"
            self._server = parts
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
            self.display = f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{self.name}"
        else:
            self.kind = "sqlite"
            RESULTS_DIR.mkdir(exist_ok=True)
            stem = f"bench-{size}" if keep else f"bench-{size}-{os.getpid()}"
            self.path = RESULTS_DIR / f"{stem}.sqlite3"
            # By default, Django 5.1+ SQLite options for concurrent writers: take
            # the write lock at BEGIN (no upgrade deadlocks), wait up to 20 s for it.
            self.sqlite_options = sqlite_options
            self.url = f"sqlite:///{self.path}" + (f"?{sqlite_options}" if sqlite_options else "")
            self.display = f"SQLite {self.path.relative_to(BASE_DIR)} (WAL; {sqlite_options or 'Django defaults'})"
        self.info_path = RESULTS_DIR / f"seed-{size}-{'keep' if keep else os.getpid()}-{self.kind}.json"

    def _admin_conn(self):
        import psycopg

        maintenance = urllib.parse.urlunsplit(self._server._replace(path="/postgres"))
        return psycopg.connect(maintenance, autocommit=True, connect_timeout=5)

    def exists(self) -> bool:
        if self.kind == "sqlite":
            return self.path.exists()
        with self._admin_conn() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def create(self) -> None:
        if self.keep and self.exists() and self.info_path.exists():
            self.reused = True
            return
        self.drop()
        if self.kind == "postgresql":
            with self._admin_conn() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def after_migrate(self) -> None:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA journal_mode=WAL")  # persistent: readers do not block the writer

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            with self._admin_conn() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.info_path.unlink(missing_ok=True)

    def touch_article(self, article_id: int) -> None:
        """Set the article's updated_at: its cached body's key changes for every worker."""
        if self.kind == "sqlite":
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            with sqlite3.connect(self.path, timeout=20) as conn:
                conn.execute("UPDATE articles_article SET updated_at = ? WHERE id = ?", [now, article_id])
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("UPDATE articles_article SET updated_at = clock_timestamp() WHERE id = %s", [article_id])


# --- the server ----------------------------------------------------------------------


class Server:
    def __init__(self, env: dict, port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: no terminal Ctrl-C, stopped by us
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            try:
                if load.Client("127.0.0.1", self.port, timeout=5).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pid = self.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            pids = []
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    pids.append(int(stat.parent.name))
            return pids

    def cpu_seconds(self) -> float:
        """CPU time of the master and its live workers (a killed worker's time is lost)."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.proc.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def log_problems(self) -> dict:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return {
            "worker timeouts": text.count("WORKER TIMEOUT"),
            "tracebacks": text.count("Traceback (most recent call last)"),
            "workers booted": text.count("Booting worker"),
        }

    def worker_memory(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of each worker, in MB."""
        result = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
            result[pid] = {k: round(int(v) / 1024, 1) for k, v in values.items()}
        return result

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group gunicorn leads: master and its workers
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self.proc = None
        self._log.close()


# --- phases ------------------------------------------------------------------------------


def run_subprocess(args: list[str], env: dict, timeout: float, what: str) -> str:
    done = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def load_get(
    port: int,
    path: str,
    *,
    seconds: float,
    concurrency: int,
    procs: int,
    cookies: dict | None = None,
    env: dict,
    max_requests: int = load.MAX_REQUESTS,
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


def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


class Bench:
    def __init__(self, args):
        self.args = args
        self.rows: list[dict] = []
        self.notes: list[str] = []
        self.results: dict = {"args": vars(args), "phases": {}}

    # a phase: warm up, then `rounds` timed runs; the row keeps the medians
    def phase(self, label: str, path: str, *, login=None, key: str, probe_404=False) -> dict | None:
        args = self.args
        cookies = self.login_cookies(login, path) if login else {}
        if probe_404:
            client = load.Client("127.0.0.1", self.port, timeout=120)
            client.cookies.update(cookies)
            status = client.get(path).status
            if status == 404:
                self.rows.append({"label": label, "na": "n/a (404)"})
                self.results["phases"][key] = {"status": 404}
                log(f"{label}: 404, skipped")
                return None
        warm = self.warm_up(label, path, cookies)
        rounds = []
        for i in range(args.rounds):
            self.wait_for_quiet(label)
            before = self.cpu_snapshot()
            result = load_get(
                self.port,
                path,
                seconds=args.read_seconds,
                concurrency=self.concurrency,
                procs=args.client_procs,
                cookies=cookies,
                env=self.client_env,
            )
            result["other_cpu_cores"] = self.other_cpu(before, self.cpu_snapshot(), result["client_cpu_seconds"])
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
        self.rows.append(row)
        self.results["phases"][key] = {"row": row, "rounds": rounds, "warm_up": warm}
        return row

    def login_cookies(self, login: tuple, next_url: str) -> dict:
        client = load.Client("127.0.0.1", self.port, timeout=60)
        client.login(*login, next_url=next_url)
        client.close()
        return dict(client.cookies)

    def warm_up(self, label: str, path: str, cookies: dict, max_requests: int = 300, max_seconds: float = 300) -> dict:
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
        need = 3 * self.workers

        def warm_enough() -> bool:
            if len(latencies) < need:
                return False
            window = latencies[-need:]
            typical = statistics.median(window)
            return all(x < 3 * typical + 0.02 for x in window)

        def loop():
            client = load.Client("127.0.0.1", self.port, timeout=120)
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

    def wait_for_quiet(self, label: str) -> None:
        """Before a timed round, wait (at most --quiet-wait s) until other processes leave the CPUs alone.

        The server is idle between rounds, so whatever keeps the machine busy
        then is someone else's (a shared machine); its CPU use during the
        round is reported either way.
        """
        limit = self.args.quiet_wait
        if limit <= 0:
            return
        deadline = time.monotonic() + limit
        waited = False
        while True:
            before = self.cpu_snapshot()
            time.sleep(0.5)
            busy = self.other_cpu(before, self.cpu_snapshot(), 0.0)
            if busy < self.args.quiet_below or time.monotonic() >= deadline:
                break
            if not waited:
                log(f"{label}: other processes use {busy:.2f} cores: waiting up to {limit:.0f} s for a quieter machine")
                waited = True

    def cpu_snapshot(self) -> tuple[float, float, float]:
        """(wall clock, busy CPU seconds of the whole machine, CPU seconds of the server's processes)."""
        tick = os.sysconf("SC_CLK_TCK")
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # all but idle and iowait (guest is in user)
        return time.monotonic(), busy, self.server.cpu_seconds()

    @staticmethod
    def other_cpu(before, after, client_cpu: float) -> float:
        """Cores used by processes other than the server and the load client between two snapshots."""
        wall = after[0] - before[0]
        return max(0.0, ((after[1] - before[1]) - (after[2] - before[2]) - client_cpu) / wall) if wall > 0 else 0.0

    def cold(self, label: str, path: str, article_id: int, samples: int) -> dict:
        times, statuses = [], []
        client = load.Client("127.0.0.1", self.port, timeout=120)
        client.get(path)  # make sure the warm workers have served this page once
        for i in range(samples):
            self.db.touch_article(article_id)
            resp = client.get(path)
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
        self.rows.append(row)
        self.results["phases"]["large_cold"] = {"row": row, "seconds": times, "statuses": statuses}
        return row

    def count_writes(self) -> int:
        out = run_subprocess(
            [PYTHON, str(BENCH_DIR / "seed.py"), "count", "--prefix", self.info["writer_prefix"]],
            self.server_env,
            120,
            "counting rows",
        )
        return json.loads(out.strip().splitlines()[-1])["annotations"]

    def writes(self) -> dict:
        args = self.args
        writers = len(self.info["writers"])
        label = f"writes: {writers} annotators POSTing"
        before = self.count_writes()
        log(f"{label} for {args.write_seconds:.0f} s (logging {writers} users in first)")
        out = run_subprocess(
            [
                PYTHON,
                str(BENCH_DIR / "load.py"),
                "--port",
                str(self.port),
                "--seconds",
                str(args.write_seconds),
                "writes",
                "--info",
                str(self.db.info_path),
            ],
            self.client_env,
            args.write_seconds + 300,
            "write load",
        )
        result = json.loads(out.strip().splitlines()[-1])
        after = self.count_writes()
        created = after - before
        ok = result["statuses"].get("302", 0)
        row = {
            "label": label,
            "rps": result["rps"],
            "p50": result["p50_ms"],
            "p95": result["p95_ms"],
            "n": result["requests"],
            "errors": result["failed"] + len(result["login_errors"]),
            "note": f"{created} rows for {ok} × 302",
            "created": created,
            "ok": ok,
            "writes": True,
        }
        if result["login_errors"]:
            self.notes.append(f"write phase: {len(result['login_errors'])} logins failed: {result['login_errors'][:3]}")
        if result["errors"]:
            self.notes.append(f"write phase errors: {result['errors']}")
        self.rows.append(row)
        self.results["phases"]["writes"] = {"row": row, "result": result, "rows_before": before, "rows_after": after}
        log(
            f"{label}: {result['rps']:.1f}/s, p95 {result['p95_ms']:.0f} ms, {result['failed']} failed; "
            f"{created} rows created, {ok} × 302"
        )
        return row

    def static_check(self) -> str:
        client = load.Client("127.0.0.1", self.port)
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

    # --- the whole run ---------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        size = "quick" if args.quick else "full"
        self.db = Database(os.environ.get("DATABASE_URL", ""), size, args.keep_db, args.sqlite_options)
        self.port = args.port or free_port()
        from config.gunicorn import default_workers  # the production sizing, 2 × CPUs + 1 (capped)

        self.workers = args.workers or default_workers()
        self.concurrency = args.concurrency or 2 * self.workers
        prefix = f"bench-{secrets.token_hex(4)}"
        cache_url = args.redis if args.redis else "locmemcache://bench"
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "RATE_LIMIT", "DJANGO_"))}
        self.server_env = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "RATELIMIT_ENABLE": "false",
            "DATABASE_URL": self.db.url,
            "CACHE_URL": cache_url,
            "CACHE_KEY_PREFIX": prefix,
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_ACCESS_LOG": str(RESULTS_DIR / f"access-{stamp}.log"),
            "GUNICORN_MAX_REQUESTS": str(args.max_requests),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        self.client_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        server = Server(self.server_env, self.port, RESULTS_DIR / f"gunicorn-{stamp}.log")
        self.server = server
        started = time.monotonic()
        try:
            log(
                f"database: {self.db.display}; cache: {cache_url} (prefix {prefix}); {self.workers} workers, "
                f"{self.concurrency} client connections, {args.client_procs} client process(es)"
            )
            self.db.create()
            if self.db.reused:
                log("reusing the kept, seeded database (--keep-db)")
                run_subprocess([PYTHON, "manage.py", "migrate", "--noinput"], self.server_env, 600, "migrate")
            else:
                t0 = time.monotonic()
                run_subprocess([PYTHON, "manage.py", "migrate", "--noinput"], self.server_env, 600, "migrate")
                self.db.after_migrate()
                log(f"migrated in {time.monotonic() - t0:.1f} s; seeding ({size})")
                out = run_subprocess(
                    [PYTHON, str(BENCH_DIR / "seed.py"), "seed", "--size", size, "--out", str(self.db.info_path)],
                    self.server_env,
                    1800,
                    "seeding",
                )
                log(f"seeded: {out.strip()}")
            self.info = json.loads(self.db.info_path.read_text())
            run_subprocess([PYTHON, "manage.py", "collectstatic", "--noinput"], self.server_env, 600, "collectstatic")
            server.start()
            log(f"gunicorn on 127.0.0.1:{self.port}, workers {server.worker_pids()}")
            self.notes.append(self.static_check())

            large = self.info["large"]
            large_path = f"/articles/{large['slug']}/"
            admin_login = ("/admin/login/", self.info["admin"], self.info["password"])
            n_admin = sum(self.info["counts"].get(k, 0) for k in ("annotations",)) if "counts" in self.info else 0

            self.phase("/healthz (baseline)", "/healthz", key="healthz")
            self.phase("sample article, warm cache", SAMPLE_PATH, key="sample_warm")
            self.cold(f"large article, cold render (n={args.cold_samples})", large_path, large["id"], args.cold_samples)
            self.phase(f"large article ({large['annotations']:,} annotations), warm", large_path, key="large_warm")
            self.memory_after_large = server.worker_memory()
            self.phase(
                "W3C annotation collection (large)",
                f"/articles/{large['slug']}/annotations/",
                key="collection",
                probe_404=True,
            )
            self.phase("Atom feed (large)", f"/articles/{large['slug']}/feed/", key="feed", probe_404=True)
            self.phase(
                f"admin moderation queue ({n_admin:,} annotations)",
                "/admin/annotations/annotation/queue/",
                login=admin_login,
                key="admin_queue",
            )
            self.phase("admin changelist", "/admin/annotations/annotation/", login=admin_login, key="admin_changelist")
            self.writes()
            self.memory_end = server.worker_memory()
            self.report(size, time.monotonic() - started)
            return 0
        except (Interrupted, KeyboardInterrupt) as exc:
            log(f"interrupted ({exc or 'Ctrl-C'}): cleaning up")
            return 130
        finally:
            server.stop()
            if args.keep_db:
                log(f"kept the database: {self.db.display}")
            else:
                try:
                    self.db.drop()
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop the database {self.db.display}: {exc}")
            if args.redis:
                self.clean_redis(args.redis, prefix)

    @staticmethod
    def clean_redis(url: str, prefix: str) -> None:
        try:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5)
            keys = []
            for i, key in enumerate(client.scan_iter(match=f"{prefix}:*", count=1000)):
                keys.append(key)
                if i > 1_000_000:
                    break
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        except Exception as exc:  # noqa: BLE001
            log(f"could not clean Redis keys {prefix}:*: {exc}")

    # --- the report -----------------------------------------------------------------------

    def report(self, size: str, seconds: float) -> None:
        base = next((r for r in self.rows if r["label"].startswith("/healthz")), None)
        base_rps = base["rps"] if base else float("nan")
        header = f"{'scenario':<48} {'req/s':>9} {'× healthz':>10} {'p50 ms':>9} {'p95 ms':>9} {'requests':>9} {'errors':>7}  notes"
        lines = [header, "-" * len(header)]
        for r in self.rows:
            if r.get("na"):
                lines.append(f"{r['label']:<48} {r['na']:>9}")
                continue
            if r.get("cold"):
                lines.append(
                    f"{r['label']:<48} {'—':>9} {'—':>10} {r['p50']:>9.0f} {r['p95']:>9.0f} {r['n']:>9} {r['errors']:>7}  "
                    "p50 = median, p95 column = slowest sample"
                )
                continue
            ratio = r["rps"] / base_rps if base_rps == base_rps and base_rps else float("nan")
            note = r.get("note", "")
            if not note and r.get("bytes"):
                note = f"{r['bytes'] / 1024:,.0f} KiB/page" if r["bytes"] > 4096 else f"{r['bytes']} B"
            lines.append(
                f"{r['label']:<48} {r['rps']:>9.1f} {ratio:>10.2f} {r['p50']:>9.1f} {r['p95']:>9.1f} {r['n']:>9} {r['errors']:>7}  {note}"
            )
        mem = self.memory_after_large
        peak = max((m.get("VmHWM", 0) for m in mem.values()), default=float("nan"))
        peak_end = max((m.get("VmHWM", 0) for m in self.memory_end.values()), default=float("nan"))
        lines.append(
            f"{'worker peak RSS (VmHWM), after the large article':<48} {peak:>8.0f}M {'':>10} {'':>9} {'':>9} {len(mem):>9} {'':>7}  "
            f"max over {len(mem)} workers; {peak_end:.0f} MB at the end of the run"
        )

        goals = []

        def goal(ok: bool, text: str) -> None:
            goals.append(f"  {'PASS' if ok else 'MISS'}  {text}")

        by_key = {k: v.get("row") for k, v in self.results["phases"].items()}
        for key, what in (("sample_warm", "sample article, warm"), ("large_warm", "large article, warm")):
            row = by_key.get(key)
            if row:
                ratio = row["rps"] / base_rps
                diff = (ratio - GOAL_WARM_RATIO) * 100
                goal(
                    ratio >= GOAL_WARM_RATIO,
                    f"{what} ≥ 50 % of /healthz req/s: {ratio * 100:.0f} % "
                    f"({'+' if diff >= 0 else ''}{diff:.0f} points)",
                )
        cold = by_key.get("large_cold")
        if cold:
            med = cold["p50"] / 1000
            goal(
                med < GOAL_COLD_SECONDS,
                f"large article cold render < 1 s: median {med:.2f} s, slowest {cold['p95'] / 1000:.2f} s "
                f"({'%.2f s under' % (GOAL_COLD_SECONDS - med) if med < GOAL_COLD_SECONDS else '%.2f s over' % (med - GOAL_COLD_SECONDS)})",
            )
        total = sum(r.get("n", 0) for r in self.rows if not r.get("na"))
        errors = sum(r.get("errors", 0) for r in self.rows if not r.get("na"))
        goal(errors == 0, f"zero errors: {errors} of {total:,} requests")
        w = by_key.get("writes")
        if w:
            lost = w["ok"] - w["created"]
            goal(
                lost == 0 and w["ok"] > 0,
                f"zero lost writes: {w['created']} rows created for {w['ok']} successful POSTs "
                f"({'none lost' if lost == 0 else f'{lost} lost' if lost > 0 else f'{-lost} rows without a 302'})",
            )
        goal(
            peak < GOAL_WORKER_MB,
            f"worker memory < {GOAL_WORKER_MB} MB: peak {peak:.0f} MB "
            f"({abs(GOAL_WORKER_MB - peak):.0f} MB {'under' if peak < GOAL_WORKER_MB else 'over'})",
        )

        def short(label: str) -> str:
            return label.split(" (")[0].split(",")[0]

        timed = [r for r in self.rows if r.get("client_cpu") is not None]
        cpu_note = ", ".join(f"{short(r['label'])} {r['client_cpu'] * 100:.0f} %" for r in timed)
        other_note = ", ".join(f"{short(r['label'])} {r['other_cpu']:.2f}" for r in timed)
        busiest = max((r["other_cpu"] for r in timed), default=0.0)
        problems = self.server.log_problems()
        warm = {k: v["warm_up"] for k, v in self.results["phases"].items() if "warm_up" in v}
        warm_note = ", ".join(
            f"{k} {v['requests']} ({v['slow']} slow{'' if v['settled'] else ', NOT settled'})" for k, v in warm.items()
        )
        self.notes += [
            f"server log: {problems['worker timeouts']} worker timeouts, {problems['tracebacks']} tracebacks, "
            f"{problems['workers booted']} workers booted ({self.workers} at start)",
            f"warm-up requests before timing (slow = cache misses): {warm_note}",
            f"CPU used outside gunicorn and the load client during the timed rounds (other processes, the database "
            f"server, the kernel; cores of {os.cpu_count()}, median): {other_note}"
            + (" — the machine was busy: treat the numbers as noisy" if busiest > 0.25 else ""),
        ]
        title = (
            f"Benchmark ({size}): {self.db.display}; cache {self.server_env['CACHE_URL']}; "
            f"gunicorn {self.workers} sync workers on {os.cpu_count()} CPUs; {self.concurrency} client connections; "
            f"{self.args.rounds} round(s) × {self.args.read_seconds:g} s per read phase, writes {self.args.write_seconds:g} s"
        )
        out = [
            title,
            "",
            *lines,
            "",
            "Goals",
            *goals,
            "",
            *self.notes,
            f"client CPU (share of one core, median round): {cpu_note}",
            f"run took {seconds:.0f} s; details in bench/results/",
        ]
        print("\n".join(out), flush=True)
        self.results.update(
            rows=self.rows,
            goals=goals,
            notes=self.notes,
            memory_after_large=mem,
            memory_end=self.memory_end,
            table="\n".join(out),
        )
        path = RESULTS_DIR / f"result-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(self.results, indent=1, default=str))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the production set-up (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="small data, short phases: a smoke run")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the database afterwards and reuse a kept one (no re-seeding)"
    )
    parser.add_argument(
        "--redis",
        nargs="?",
        const="redis://127.0.0.1:6379/13",
        default=None,
        metavar="URL",
        help="use Redis as the cache (default URL redis://127.0.0.1:6379/13; keys under a unique prefix, removed afterwards)",
    )
    parser.add_argument("--write-seconds", type=float, help="duration of the write phase (default 30; 5 with --quick)")
    parser.add_argument(
        "--read-seconds", type=float, help="duration of each timed read round (default 5; 2 with --quick)"
    )
    parser.add_argument("--rounds", type=int, help="timed rounds per read phase (default 3; 1 with --quick)")
    parser.add_argument(
        "--cold-samples", type=int, help="cold renders of the large article (default 7; 3 with --quick)"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: config/gunicorn.py's, 2 × CPUs + 1)"
    )
    parser.add_argument("--concurrency", type=int, default=0, help="client connections for reads (default 2 × workers)")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes sharing those connections")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="GUNICORN_MAX_REQUESTS for the run (default 0: no worker recycling, so peaks are not reset)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="before each timed round, wait up to this many seconds for other processes to go quiet "
        "(default 30; 5 with --quick; 0: never)",
    )
    parser.add_argument(
        "--quiet-below", type=float, default=0.25, help="cores other processes may use and still count as quiet"
    )
    parser.add_argument(
        "--sqlite-options",
        default="timeout=20&transaction_mode=IMMEDIATE",
        help='query string of the SQLite DATABASE_URL ("" for Django\'s defaults)',
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    quick = args.quick
    args.write_seconds = args.write_seconds or (5.0 if quick else 30.0)
    args.read_seconds = args.read_seconds or (2.0 if quick else 5.0)
    args.rounds = args.rounds or (1 if quick else 3)
    args.cold_samples = args.cold_samples or (3 if quick else 7)
    if args.quiet_wait is None:
        args.quiet_wait = 5.0 if quick else 30.0
    if shutil.which("wrk"):
        log("wrk is installed but not needed: the Python client is used for comparable numbers")
    for signum in (
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGHUP,
    ):  # SIGINT too: it may be ignored when started in the background
        signal.signal(signum, _on_signal)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
