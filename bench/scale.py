"""Grow a seeded benchmark database to a total number of annotations (PostgreSQL), for the size-of-the-site checks.

    DATABASE_URL=postgres://…/bench_… .venv/bin/python bench/scale.py --to 1000000

Copies the filler articles' annotations with ``INSERT … SELECT`` (fresh timestamps spread over a year, so the
copies interleave with every article's annotations in time, as a site's would), tags about 40 % of the copies
(one to three of the seed's tags each, as the seed tags the fillers), then ``ANALYZE``s the tables so the planner
plans for the new size. The sample, large and writes articles are left as they were: a per-article surface of the
large article must cost the same before and after (``bench/article_scale.py``, ``bench/run.py --scale``).
Used by ``admin_pages.py --grow-to`` too. About a minute per 100,000 rows on 2 busy cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
for _path in (str(BASE_DIR), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

BATCH = 100_000
TAG_SHARE = 0.4


def annotation_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM annotations_annotation")
        return cursor.fetchone()[0]


def grow(target: int, *, log=print) -> int:
    """Copy the filler articles' annotations until the table holds ``target`` rows; returns the rows added."""
    from django.db import connection, transaction
    from seed_articles import FILLER_SLUG

    if connection.vendor != "postgresql":
        raise SystemExit("growing the table needs PostgreSQL (INSERT … SELECT with random timestamps)")
    added = 0
    with connection.cursor() as cursor:
        count = annotation_count()
        columns = [
            f.name
            for f in connection.introspection.get_table_description(cursor, "annotations_annotation")
            if f.name != "id"
        ]
        names = ", ".join(columns)
        picked = ", ".join(
            "now() - random() * interval '365 days'" if c in ("created_at", "updated_at") else c for c in columns
        )
        cursor.execute("SELECT id FROM annotations_tag ORDER BY id")
        tag_ids = [row[0] for row in cursor.fetchall()]
        while count < target:
            n = min(BATCH, target - count)
            t0 = time.monotonic()
            with transaction.atomic():
                cursor.execute("SELECT coalesce(max(id), 0) FROM annotations_annotation")
                (last_id,) = cursor.fetchone()
                cursor.execute(
                    f"INSERT INTO annotations_annotation ({names}) SELECT {picked} FROM annotations_annotation "
                    "WHERE article_id IN (SELECT id FROM articles_article WHERE slug LIKE %s) "
                    "AND parent_id IS NULL ORDER BY id LIMIT %s",
                    [FILLER_SLUG.split("{")[0] + "%", n],
                )
                if cursor.rowcount <= 0:
                    raise SystemExit("no filler annotations to copy: seed the database with seed.py first")
                rows = cursor.rowcount
                if tag_ids:
                    # one to three distinct tags on about TAG_SHARE of the copies
                    cursor.execute(
                        "INSERT INTO annotations_taggedannotation (content_object_id, tag_id) "
                        "SELECT DISTINCT a.id, (%s::bigint[])[1 + floor(random() * %s)::int] "
                        "FROM annotations_annotation a CROSS JOIN LATERAL generate_series(1, 1 + (a.id %% 3)::int) "
                        "WHERE a.id > %s AND (a.id %% 100) < %s "
                        "ON CONFLICT DO NOTHING",
                        [tag_ids, len(tag_ids), last_id, int(TAG_SHARE * 100)],
                    )
            count += rows
            added += rows
            log(f"annotations: {count:,} (+{rows:,} in {time.monotonic() - t0:.1f} s)")
        cursor.execute("ANALYZE annotations_annotation")
        cursor.execute("ANALYZE annotations_taggedannotation")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", type=int, required=True, help="total annotations wanted (e.g. 1000000)")
    args = parser.parse_args(argv)
    import django

    django.setup()
    t0 = time.monotonic()
    added = grow(args.to, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f'{{"annotations": {annotation_count()}, "added": {added}, "seconds": {time.monotonic() - t0:.1f}}}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
