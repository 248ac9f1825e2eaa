"""Time the admin's moderation queue and annotation changelist in-process, with every SQL query and its plan.

    DATABASE_URL=postgres://…/bench_keep_full .venv/bin/python bench/admin_pages.py [--rounds 15] [--explain]
    DATABASE_URL=… .venv/bin/python bench/admin_pages.py --grow-to 1000000   # copy annotations up to 1M first

A profiling aid beside ``run.py``, not part of it: it runs on a database the bench seeded (``--keep-db``,
or ``seed.py seed`` into a database of your own), logs in as a moderator (made on first use, in the
"moderators" group, as the admin's back office expects), requests each page ``--rounds`` times with the
test client after one warm-up request, and prints the median and spread of the response time, the number
of queries and the slowest queries with their time. ``--explain`` adds ``EXPLAIN (ANALYZE, BUFFERS)`` of
the queries over ``--explain-ms`` (PostgreSQL only). The machine may be shared: rounds are interleaved
between the pages so noise hits both alike; read the spread before the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PAGES = {
    "queue": "/admin/annotations/annotation/queue/",
    "changelist": "/admin/annotations/annotation/",
    "changelist pending": "/admin/annotations/annotation/?status__exact=pending",
    "changelist flagged": "/admin/annotations/annotation/?flagged=open",
    "changelist page 100": "/admin/annotations/annotation/?p=100",
}
MODERATOR = "bench-moderator"


def _moderator():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import MODERATORS

    user, created = get_user_model().objects.get_or_create(username=MODERATOR, defaults={"is_staff": True})
    if created:
        user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def measure(rounds: int, explain: bool, explain_ms: float, pages: list[str], username: str = "") -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username) if username else _moderator())
    # production settings redirect plain HTTP; their manifest storage needs collectstatic (not needed here)
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()
    times: dict[str, list[float]] = {name: [] for name in pages}
    queries: dict[str, list[dict]] = {}
    for name in pages:  # warm-up: caches filled, connections open
        assert client.get(PAGES[name], secure=True).status_code == 200, name
    for _ in range(rounds):
        for name in pages:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(PAGES[name], secure=True)
                times[name].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, name
            queries[name] = captured.captured_queries
    for name in pages:
        ts = sorted(times[name])
        print(
            f"\n== {name}  {PAGES[name]}\n   p50 {statistics.median(ts):.1f} ms  min {ts[0]:.1f}  max {ts[-1]:.1f}"
            f"  ({rounds} rounds), {len(queries[name])} queries, "
            f"{sum(float(q['time']) for q in queries[name]) * 1000:.1f} ms in SQL (last round)"
        )
        for q in sorted(queries[name], key=lambda q: -float(q["time"]))[:6]:
            ms = float(q["time"]) * 1000
            print(f"   {ms:7.1f} ms  {q['sql'][:300]}")
            if explain and ms >= explain_ms and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    for (line,) in cursor.fetchall():
                        print(f"      {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--explain-ms", type=float, default=5.0)
    parser.add_argument("--grow-to", type=int, default=0)
    parser.add_argument(
        "--user", default="", help="log in as this account (default: a moderator; run.py uses the superuser)"
    )
    parser.add_argument("--pages", nargs="*", choices=sorted(PAGES), default=list(PAGES))
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.grow_to:
        from scale import grow  # bench/scale.py, shared with article_scale.py and run.py --scale

        grow(args.grow_to)
    measure(args.rounds, args.explain, args.explain_ms, args.pages, args.user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
