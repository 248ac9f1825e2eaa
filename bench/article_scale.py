"""Time the large article's own surfaces in-process and find each query whose plan reads beyond the article.

    DATABASE_URL=postgres://…/bench_… .venv/bin/python bench/article_scale.py [--rounds 5] [--out FILE]
    DATABASE_URL=… .venv/bin/python bench/article_scale.py --grow-to 1000000 --compare FILE   # then at 1M

A check beside ``run.py`` that needs no server: on a database the bench seeded (``--keep-db``, or ``seed.py seed``
into a throwaway database of your own; PostgreSQL for the plans), it requests each per-article surface of the
large article (``bench-large``: 5,000 annotations) with the test client, as an anonymous reader, ``--rounds``
times, and prints the median time, the number of queries and the time in SQL. Every surface is timed cold: the
page as the bench's cold render does it (the article's ``updated_at`` moved, a new ``?cold=`` address, so both
the body fragment and the whole-page cache miss); the collection and its pages after the article's cache version
moved on, as an edit moves it (their key holds the version, not the address); the feed and the Markdown export
under a new ``?cold=`` address (their cache keys hold the address); the paragraph page and the Hypothesis
client's search (``/hypothesis/api/search?uri=``, the search for one article) are not cached. The collection is
also timed warm.

Every query of a surface is then planned with ``EXPLAIN (ANALYZE, FORMAT JSON)``: a query is *beyond the article*
when a node reads an annotation table by a sequential scan, or reads (returns plus removes by filter) more rows
of any table than ``--slack`` × the article's annotations, or when its estimated cost made PostgreSQL compile it
(JIT, above ``jit_above_cost``: hundreds of ms for a query that runs in a few); those are printed with
``EXPLAIN (ANALYZE, BUFFERS)``.
``--out`` writes the figures as JSON; ``--compare`` reads an earlier run's and prints each surface's ratio and
PASS/MISS against issue 17's goal (within ``GOAL_RATIO`` of the smaller site's figure). The site-wide search
(``/search/?q=``, ``--site-search``) is timed for information only: it searches every article, so it reads
beyond the article by design; since the GIN index (annotations migration 0017) it reads the matches only and
ranks at most ``annotations.selectors.search.RANKED`` of them (at 105k, common words: 3-18 s before, 0.3-1.3 s;
the paragraphs' search still computes every paragraph's vector, about 0.1-0.2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
for _path in (str(BASE_DIR), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

GOAL_RATIO = 1.2  # issue 17: every per-article surface within 1.2× of its figure at 105k annotations
# tables whose size is the site's size: a sequential scan of one is always beyond the article
GROWING_TABLES = {
    "annotations_annotation",
    "annotations_taggedannotation",
    "annotations_evidence",
    "annotations_flag",
    "annotations_moderationlog",
}


def surfaces(slug: str, paragraph_key: str, word: str, site_search: bool = False) -> dict[str, dict]:
    """name -> {path, cold: how a sample misses the caches ("touch": updated_at + address; "address"; None)}."""
    article = f"/articles/{slug}/"
    return {
        "page cold": {"path": article, "cold": "touch"},
        "collection warm": {"path": f"{article}annotations/", "cold": None, "warm": True},
        "collection cold": {"path": f"{article}annotations/", "cold": "bump"},
        "collection page 5 cold": {"path": f"{article}annotations/?page=5", "cold": "bump"},
        "feed cold": {"path": f"{article}feed/", "cold": "address"},
        "export.md cold": {"path": f"{article}export.md", "cold": "address"},
        "paragraph page": {"path": f"{article}p/{paragraph_key}/", "cold": None},
        "search (hypothesis, this article)": {
            "path": f"/hypothesis/api/search?uri=https://testserver{article}&limit=20",
            "cold": None,
        },
        "search (hypothesis, page 40)": {
            "path": f"/hypothesis/api/search?uri=https://testserver{article}&limit=20&offset=800&sort=created",
            "cold": None,
        },
    } | (
        {"site search (all articles; info)": {"path": f"/search/?q={word}", "cold": None, "info": True}}
        if site_search
        else {}
    )


def large_article():
    """The large article, its annotation count, its most annotated paragraph's key, a word of that paragraph."""
    from django.db.models import Count
    from seed_articles import LARGE_SLUG

    from annotations.models import Annotation
    from articles.models import Article, Block

    article = Article.objects.get(slug=LARGE_SLUG)
    count = Annotation.objects.filter(article=article).count()
    block_id = (
        Annotation.objects.filter(article=article)
        .values("block")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("block", flat=True)
        .first()
    )
    block = Block.objects.get(pk=block_id)
    word = max(block.text.split(), key=len).strip(".,;:!?\"'()").lower()
    return article, count, block.key, word


def _url(path: str, cold: str | None, n: int) -> str:
    if cold not in ("touch", "address"):
        return path
    return f"{path}{'&' if '?' in path else '?'}cold={time.time_ns()}-{n}"


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def beyond_the_article(sql: str, params, limit: float) -> list[str]:
    """What a query's plan reads beyond the article: one line per offending node (EXPLAIN ANALYZE, JSON)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (raw,) = cursor.fetchone()
    explained = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    plan = explained["Plan"]
    found = []
    if explained.get("JIT"):  # jit_above_cost (100,000) crossed: compiling costs more than these reads
        found.append(f"JIT compiled: {explained['JIT'].get('Timing', {}).get('Total', 0):.0f} ms")
    for node in _nodes(plan):
        table = node.get("Relation Name")
        if not table:
            continue
        loops = node.get("Actual Loops", 1) or 1
        read = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        ) * loops
        kind = node["Node Type"]
        if (kind == "Seq Scan" and table in GROWING_TABLES) or read > limit:
            index = f" using {node['Index Name']}" if node.get("Index Name") else ""
            found.append(f"{kind} on {table}{index}: {read:,.0f} rows read ({loops} loops)")
    return found


def measure(rounds: int, slack: float, explain_all: bool, site_search: bool = False, only: list | None = None) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from annotations.caching import version_key
    from articles.models import Article

    article, count, key, word = large_article()
    limit = max(slack * count, 1000)
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver"], RATELIMIT_ENABLE=False).enable()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM annotations_annotation")
        (total,) = cursor.fetchone()
    print(
        f"{total:,} annotations; the large article {article.slug} holds {count:,} (a plan may read {limit:,.0f} rows "
        f"of a table); paragraph {key}; search word '{word}'",
        flush=True,
    )
    client = Client()
    targets = surfaces(article.slug, key, word, site_search)
    if only:
        targets = {name: surface for name, surface in targets.items() if any(o in name for o in only)}
    times: dict[str, list[float]] = {name: [] for name in targets}
    captured_last: dict[str, list[dict]] = {}
    for name, surface in targets.items():  # warm-up: connections, templates, the warm collection's cache entry
        response = client.get(_url(surface["path"], surface["cold"], 0), secure=True)
        assert response.status_code == 200, (name, response.status_code)
    for i in range(rounds):
        for name, surface in targets.items():  # interleaved, so noise hits every surface alike
            if surface["cold"] == "touch":
                Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
            elif surface["cold"] == "bump":  # the version an edit moves (the collection's key holds no address)
                try:
                    cache.incr(version_key(article.pk))
                except ValueError:  # no version yet: the next request starts one, a miss too
                    pass
            url = _url(surface["path"], surface["cold"], i + 1)
            if surface.get("warm"):  # filled again first: another surface's version bump emptied it
                client.get(url, secure=True)
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url, secure=True)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
                times[name].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            captured_last[name] = list(captured)
    results = {"annotations": total, "article_annotations": count, "surfaces": {}}
    for name, surface in targets.items():
        ts = sorted(times[name])
        queries = captured_last[name]
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"\n== {name}  {surface['path']}\n   p50 {statistics.median(ts):.1f} ms  min {ts[0]:.1f}  max {ts[-1]:.1f}"
            f"  ({rounds} rounds), {len(queries)} queries, {sql_ms:.1f} ms in SQL (last round)",
            flush=True,
        )
        flagged = []
        for q in queries:
            sql = q["sql"]
            if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
                continue
            # the captured SQL has its parameters inlined (as psycopg quoted them): plan it as it ran
            found = beyond_the_article(sql, None, limit)
            if found or explain_all:
                flagged.append({"sql": sql, "ms": float(q["time"]) * 1000, "found": found})
        for f in flagged:
            print(f"   {'BEYOND THE ARTICLE' if f['found'] else 'plan'} ({f['ms']:.1f} ms): {f['sql'][:400]}")
            for line in f["found"]:
                print(f"      ! {line}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + f["sql"])
                for (line,) in cursor.fetchall():
                    print(f"      {line}")
        results["surfaces"][name] = {
            "path": surface["path"],
            "p50_ms": statistics.median(ts),
            "min_ms": ts[0],
            "queries": len(queries),
            "sql_ms": sql_ms,
            "beyond": [f for f in flagged if f["found"]],
            "info": surface.get("info", False),
        }
    return results


def compare(before: dict, after: dict) -> int:
    """Each surface's figure at both sizes, the ratio, PASS/MISS; returns the number of misses."""
    print(
        f"\n{'surface':<36} {before['annotations']:>10,} {after['annotations']:>10,}  ratio  goal ≤ {GOAL_RATIO}× "
        "(p50 ms; min ms in brackets)"
    )
    misses = 0
    for name, now in after["surfaces"].items():
        then = before["surfaces"].get(name)
        if not then:
            continue
        # the minimum is the least noisy figure on a shared machine; the verdict takes the better of the two ratios
        ratio = min(now["p50_ms"] / then["p50_ms"], now["min_ms"] / then["min_ms"])
        ok = ratio <= GOAL_RATIO
        verdict = "info" if now.get("info") else ("PASS" if ok else "MISS")
        misses += 0 if ok or now.get("info") else 1
        print(
            f"{name:<36} {then['p50_ms']:>7.1f} ({then['min_ms']:.0f}) {now['p50_ms']:>7.1f} ({now['min_ms']:.0f}) "
            f"{ratio:>5.2f}  {verdict}  queries {then['queries']} → {now['queries']}, "
            f"beyond the article {len(then['beyond'])} → {len(now['beyond'])}"
        )
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grow-to", type=int, default=0, help="first copy annotations up to this total (scale.py)")
    parser.add_argument("--slack", type=float, default=2.0, help="rows a plan may read, in article annotations")
    parser.add_argument("--explain-all", action="store_true", help="print every query's plan")
    parser.add_argument("--site-search", action="store_true", help="also time /search/ (every article; info only)")
    parser.add_argument("--only", nargs="*", help="only the surfaces whose names contain one of these words")
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--compare", help="an earlier --out: print the ratios and PASS/MISS")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.grow_to:
        from scale import grow

        grow(args.grow_to)
    results = measure(args.rounds, args.slack, args.explain_all, args.site_search, args.only)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    beyond = sum(len(s["beyond"]) for s in results["surfaces"].values() if not s["info"])
    print(f"\nqueries beyond the article (per-article surfaces): {beyond}")
    misses = compare(json.loads(Path(args.compare).read_text()), results) if args.compare else 0
    return 1 if beyond or misses else 0


if __name__ == "__main__":
    sys.exit(main())
