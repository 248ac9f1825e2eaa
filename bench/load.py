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

The parts: load_client.py (the HTTP client), load_tally.py (what a run
measures), load_reads.py (``get``), load_writes.py (``writes``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Its modules sit beside this file, which runs as a script (bench/ is then on the
# path already) and is also loaded by file path (tests/deploy/conftest.py).
_BENCH_DIR = str(Path(__file__).resolve().parent)
if _BENCH_DIR not in sys.path:
    sys.path.append(_BENCH_DIR)

from load_client import Client  # noqa: E402  (also this module's API: tests/deploy uses load.Client)
from load_reads import run_get  # noqa: E402
from load_tally import MAX_REQUESTS  # noqa: E402
from load_writes import run_writes  # noqa: E402


def main(argv: list[str] | None = None) -> int:
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
