"""Benchmark the production set-up: gunicorn + WhiteNoise + the real settings, DEBUG off.

    .venv/bin/python bench/run.py            # full: ~10 minutes on 2 cores
    .venv/bin/python bench/run.py --quick    # smoke run: small data, short phases (~1 minute)
    .venv/bin/python bench/run.py --sqlite   # SQLite and the local-memory cache instead
    .venv/bin/python bench/run.py --scale 1000000   # then the large article's surfaces again at 1M annotations

By default it benchmarks the production set-up: PostgreSQL (``DATABASE_URL``,
or the server on 127.0.0.1:5432 as user postgres when that answers) and Redis
(``--redis URL``, or 127.0.0.1:6379 when that answers); ``--sqlite`` asks for
the embedded set-up.

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
import os
import shutil
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))

# the driver's modules, beside this file (listed in bench/README.md)
from benchmark import Bench, Interrupted  # noqa: E402
from common import log  # noqa: E402


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(f"signal {signum}")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _production_defaults(args) -> None:
    """PostgreSQL and Redis when they are there (the README's production set-up), unless --sqlite."""
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        args.redis = None
        return
    if not os.environ.get("DATABASE_URL") and _answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres"
    if args.redis is None and _answers("127.0.0.1", 6379):
        args.redis = "redis://127.0.0.1:6379/13"
    if not os.environ.get("DATABASE_URL") or args.redis is None:
        log("PostgreSQL or Redis not found: this run is not the production set-up (set DATABASE_URL, --redis)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the production set-up (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="small data, short phases: a smoke run")
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite and the local-memory cache instead of PostgreSQL and Redis"
    )
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
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="after the phases, time the large article's own surfaces cold, grow the site to N annotations "
        "(e.g. 1000000; PostgreSQL), and time them again (bench/site_size.py): each within 1.2× of its first figure",
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    _production_defaults(args)
    if args.scale and not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error("--scale needs PostgreSQL (DATABASE_URL): the site grows with INSERT … SELECT")
    if args.scale and args.keep_db:
        parser.error("--scale grows the database for good: not with --keep-db (the next run would start grown)")
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
