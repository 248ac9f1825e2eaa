"""Seed the benchmark database (run by bench/run.py in a subprocess).

    python bench/seed.py seed --size full|quick --out INFO.json
    python bench/seed.py count --prefix bench-writer-

The database comes from the environment (DATABASE_URL), like the site. Rows
are written with ``bulk_create`` in batches: the sample article through the
real importer, then a large article (every annotation approved, with quotes
and tags, a tenth of them fact-checks with evidence), then filler articles
carrying the bulk of the annotations the admin pages list (mixed statuses,
pending ones, flagged ones with their Flag rows and ``open_flag_count``),
and the accounts: a superuser, the writers of the write benchmark and the
authors of everything else. Every account shares one password hash, computed
once (hashing is deliberately slow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# the seed's parts, beside this file (they import Django's models only once it is set up)
from seed_annotations import Annotator, freeze_timestamps, seed_tags  # noqa: E402
from seed_articles import filler_articles, large_article, sample_article, writes_article  # noqa: E402
from seed_data import SIZES  # noqa: E402
from seed_users import ADMIN_USERNAME, PASSWORD, WRITER_PREFIX, seed_users  # noqa: E402


def _setup_django() -> None:
    import django

    django.setup()


@contextmanager
def _step(name: str, timings: dict[str, float]) -> Iterator[None]:
    """One seeding step, in a transaction of its own, its duration in ``timings``."""
    from django.db import transaction

    t0 = time.monotonic()
    with transaction.atomic():
        yield
    timings[name] = round(time.monotonic() - t0, 2)


def seed(size_name: str, rng_seed: int = 20250106) -> dict:
    """Seed the database; returns what bench/run.py and bench/load.py need to know of it (the seed's JSON)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    size = SIZES[size_name]
    # one generator, drawn from in a fixed order: the same rows on every run
    rng = random.Random(rng_seed)
    now = dt.datetime.now(dt.UTC)
    password_hash = make_password(PASSWORD)
    counts: dict[str, int] = {}

    started = time.monotonic()
    freeze_timestamps()
    with transaction.atomic():
        accounts = seed_users(size, password_hash, now)
        counts["users"] = accounts.count
        tag_ids = seed_tags()
    annotator = Annotator(rng, now, accounts, tag_ids, counts)
    timings: dict[str, float] = {}
    with _step("sample", timings):
        sample = sample_article(annotator)
    with _step("large", timings):
        large = large_article(annotator, size)
    with _step("filler", timings):
        filler_articles(annotator, size)
    with _step("writes", timings):
        writes = writes_article(rng, now, size)
    t0 = time.monotonic()
    analyze()  # not in a transaction: VACUUM cannot run in one
    timings["analyze"] = round(time.monotonic() - t0, 2)
    return {
        "password": PASSWORD,
        "admin": ADMIN_USERNAME,
        "writers": [u.username for u in accounts.writers],
        "writer_prefix": WRITER_PREFIX,
        "sample": sample,
        "large": large,
        "writes": writes,
        "counts": counts,
        "timings": timings,
        "seconds": round(time.monotonic() - started, 1),
    }


def analyze() -> None:
    """Statistics for the planner after the bulk load, as a site's autovacuum keeps them (the machine's
    PostgreSQL may run without autovacuum): without them every table is planned as if it were small, and
    the admin's changelist counts its rows instead of reading the estimate (annotations.admin.paginator).
    VACUUM as well, for the visibility map that index-only scans read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


def count_annotations(prefix: str) -> int:
    from annotations.models import Annotation

    return Annotation.objects.filter(author__username__startswith=prefix).count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed_command = sub.add_parser("seed")
    seed_command.add_argument("--size", choices=sorted(SIZES), default="full")
    seed_command.add_argument("--out", required=True)
    count_command = sub.add_parser("count")
    count_command.add_argument("--prefix", default=WRITER_PREFIX)
    args = parser.parse_args(argv)
    _setup_django()
    if args.command == "seed":
        info = seed(args.size)
        info["size"] = args.size
        Path(args.out).write_text(json.dumps(info, indent=1))
        print(json.dumps({"counts": info["counts"], "timings": info["timings"], "seconds": info["seconds"]}))
    else:
        print(json.dumps({"annotations": count_annotations(args.prefix)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
