"""``run.py --scale N``: the large article's own surfaces at the seeded size and again after growing the site to N.

Issue 17: a surface about one article must not cost more because the site holds more annotations. After the
usual phases (about 105,000 annotations), ``before()`` times each per-article surface of the large article cold,
``grow()`` copies the filler articles' annotations up to N (``bench/scale.py``: ``INSERT … SELECT``, tags, then
``ANALYZE``) while the server idles, and ``after()`` times them again, cold, plus the warm large page, collection
and feed and the admin's queue and changelist (goal: p50 ≤ 300 ms at 1M) as read phases. The large article itself never changes. The report prints each surface at both sizes,
the ratio, and PASS/MISS against "within ``GOAL_SCALE_RATIO`` × of its figure at the seeded size".

Cold, per surface (each sample a new request in a warm worker, the surfaces interleaved so noise hits all alike):

- the page: as the cold-render phase, the article's ``updated_at`` moved and a new ``?cold=`` address, so the
  body fragment and the whole anonymous page both miss;
- the W3C collection and its page 5: the article's version moved on in Redis (``annotations.caching``), as
  an edit moves it (their cache key holds the version, not the address); without ``--redis`` (the local-memory
  cache of each worker cannot be reached from here) they are left out;
- the Atom feed and the Markdown export: a new ``?cold=`` address (their cache keys hold the address; the
  parameter changes nothing else), so each sample builds the export from the database;
- the paragraph page and the Hypothesis client's search for the article (``/hypothesis/api/search?uri=``,
  the search the site offers for one article; also a deep page of it, offset 800 by creation): never cached.
  The site's own ``/search/`` searches every article, so it is not one of them (``article_scale.py
  --site-search`` times it).

A surface's ratio is the lower of its medians' ratio and its fastest samples' ratio: on a shared machine the
fastest sample is the one least disturbed by other processes, and a cost that grew with the site grows it too.
"""

from __future__ import annotations

import json
import time

from common import BENCH_DIR, PYTHON, log, run_subprocess
from load_client import Client
from noise import wait_for_quiet
from phases import Context, admin_login, median, read_phase

GOAL_SCALE_RATIO = 1.2
GOAL_ADMIN_P50_MS_GROWN = 300  # issue 17: the admin's queue and changelist at 1M annotations


def surfaces(ctx: Context) -> dict[str, tuple[str, str | None]]:
    """name -> (path, how a sample misses the caches: "touch", "address" or None)."""
    large = ctx.info["large"]
    article = f"/articles/{large['slug']}/"
    key = ctx.db.busiest_paragraph(large["id"])
    site = f"http://127.0.0.1:{ctx.port}"
    deep = min(800, large["annotations"] // 40 * 20)  # a deep page the article has (800 of 5,000; 240 of 500)
    return {
        "page, cold render": (article, "touch"),
        "W3C collection, cold": (f"{article}annotations/", "bump"),
        "W3C collection page 5, cold": (f"{article}annotations/?page=5", "bump"),
        "Atom feed, cold": (f"{article}feed/", "address"),
        "Markdown export, cold": (f"{article}export.md", "address"),
        "paragraph page": (f"{article}p/{key}/", None),
        "search for the article (Hypothesis API)": (f"/hypothesis/api/search?uri={site}{article}&limit=20", None),
        f"search, offset {deep} by created": (
            f"/hypothesis/api/search?uri={site}{article}&limit=20&offset={deep}&sort=created",
            None,
        ),
    }


def bump_version(ctx: Context) -> None:
    """Move the large article's version on in Redis, as ``annotations.caching._bump_now`` does after an edit:
    every entry kept under the old version (collection, pages, feed, exports, the whole page) is a miss."""
    import redis

    client = redis.Redis.from_url(ctx.args.redis, socket_timeout=5)
    # Django's cache key: KEY_PREFIX:version:key; an integer is stored as is, so INCR works on it
    key = f"{ctx.server_env['CACHE_KEY_PREFIX']}:1:article-version:{ctx.info['large']['id']}"
    if client.exists(key):  # absent: the next request starts a fresh version, a miss too
        client.incr(key)
    client.close()


def cold_samples(ctx: Context, size: str) -> dict[str, list[float]]:
    """``--cold-samples`` rounds over every surface; milliseconds per surface."""
    targets = surfaces(ctx)
    if not ctx.args.redis:
        log("surfaces: the W3C collection's cold samples need --redis (its cache key holds no address): left out")
        targets = {name: target for name, target in targets.items() if target[1] != "bump"}
    client = Client("127.0.0.1", ctx.port, timeout=120)
    errors = 0
    for name, (path, _) in targets.items():  # every surface served once: imports, templates, connections
        resp = client.get(path)
        if "/api/search" in path and resp.status == 200 and not json.loads(resp.body).get("rows"):
            errors += 1  # the search did not recognise the article's address: it would time an empty answer
            log(f"{name} at {size}: no rows for {path}")
    times: dict[str, list[float]] = {name: [] for name in targets}
    wait_for_quiet(ctx.server, f"surfaces at {size}", ctx.args.quiet_wait, ctx.args.quiet_below)
    for i in range(ctx.args.cold_samples):
        for name, (path, cold) in targets.items():
            if cold == "touch":
                ctx.db.touch_article(ctx.info["large"]["id"])
            elif cold == "bump":
                bump_version(ctx)
            url = f"{path}{'&' if '?' in path else '?'}cold={time.time_ns()}" if cold in ("touch", "address") else path
            resp = client.get(url)
            if resp.status != 200:
                errors += 1
                log(f"{name} at {size}: {resp.status} for {url}")
            times[name].append(resp.seconds * 1000)
        log(f"surfaces at {size}: round {i + 1}/{ctx.args.cold_samples}")
    client.close()
    ctx.results.phases.setdefault("scale", {})[size] = {"cold_ms": times, "errors": errors}
    return times


def before(ctx: Context) -> None:
    cold_samples(ctx, "seeded")


def grow(ctx: Context, total: int) -> None:
    t0 = time.monotonic()
    log(f"growing the site to {total:,} annotations (bench/scale.py; the large article is left as it is)")
    out = run_subprocess([PYTHON, str(BENCH_DIR / "scale.py"), "--to", str(total)], ctx.server_env, 3600, "growing")
    ctx.results.phases.setdefault("scale", {})["growth"] = {"out": out.strip(), "seconds": time.monotonic() - t0}
    log(f"grown in {time.monotonic() - t0:.0f} s: {out.strip()}")


def after(ctx: Context, total: int) -> None:
    cold_samples(ctx, "grown")
    large = ctx.info["large"]
    label = f"at {total:,}"
    read_phase(ctx, f"large article, warm, {label}", f"/articles/{large['slug']}/", key="large_warm_scaled")
    read_phase(
        ctx,
        f"W3C collection (large), warm, {label}",
        f"/articles/{large['slug']}/annotations/",
        key="collection_scaled",
    )
    read_phase(ctx, f"Atom feed (large), warm, {label}", f"/articles/{large['slug']}/feed/", key="feed_scaled")
    admin = admin_login(ctx.info)
    read_phase(
        ctx,
        f"admin moderation queue, {label}",
        "/admin/annotations/annotation/queue/",
        login=admin,
        key="admin_queue_scaled",
    )
    read_phase(
        ctx, f"admin changelist, {label}", "/admin/annotations/annotation/", login=admin, key="admin_changelist_scaled"
    )


def table(phases: dict, total: int, seeded_total: int) -> tuple[list[str], list[tuple[bool, str]]]:
    """The size-of-the-site table (cold medians at both sizes, the ratio) and its goals (ok, text)."""
    scale = phases.get("scale", {})
    seeded, grown = scale.get("seeded", {}).get("cold_ms", {}), scale.get("grown", {}).get("cold_ms", {})
    header = f"{'per-article surface (large article)':<44} {f'{seeded_total:,}':>10} {f'{total:,}':>10} {'ratio':>7}"
    lines = [
        header + "  (median ms of the cold samples; fastest–slowest in brackets; the ratio is the lower of the"
        " medians' and the fastest samples': the fastest is the least disturbed by a busy machine)",
        "-" * len(header),
    ]
    goals: list[tuple[bool, str]] = []
    errors = sum(scale.get(size, {}).get("errors", 0) for size in ("seeded", "grown"))
    goals.append((errors == 0, f"per-article surfaces: every cold sample a 200 with content: {errors} not"))
    for name, then in seeded.items():
        now = grown.get(name)
        if not now:
            continue
        ratio = min(median(now) / median(then), min(now) / min(then))
        lines.append(
            f"{name:<44} {median(then):>10.1f} {median(now):>10.1f} {ratio:>7.2f}  "
            f"({min(then):.0f}–{max(then):.0f} / {min(now):.0f}–{max(now):.0f})"
        )
        goals.append(
            (
                ratio <= GOAL_SCALE_RATIO,
                f"{name} at {total:,} within {GOAL_SCALE_RATIO}× of {seeded_total:,}: {ratio:.2f}× "
                f"(median {median(then):.0f} → {median(now):.0f} ms, fastest {min(then):.0f} → {min(now):.0f} ms)",
            )
        )
    for key, scaled_key, what in (
        ("large_warm", "large_warm_scaled", "large article, warm"),
        ("collection", "collection_scaled", "W3C collection, warm"),
        ("feed", "feed_scaled", "Atom feed, warm"),
    ):
        then, now = phases.get(key, {}).get("row"), phases.get(scaled_key, {}).get("row")
        if then and now and then.get("p50") and now.get("p50"):
            ratio = now["p50"] / then["p50"]
            goals.append(
                (
                    ratio <= GOAL_SCALE_RATIO,
                    f"{what} p50 at {total:,} within {GOAL_SCALE_RATIO}× of {seeded_total:,}: {ratio:.2f}× "
                    f"({then['p50']:.1f} → {now['p50']:.1f} ms; {then['rps']:.0f} → {now['rps']:.0f} req/s)",
                )
            )
    for key, what in (
        ("admin_queue_scaled", "admin moderation queue"),
        ("admin_changelist_scaled", "admin changelist"),
    ):
        row = phases.get(key, {}).get("row")
        if row and row.get("p50"):
            goals.append(
                (
                    row["p50"] <= GOAL_ADMIN_P50_MS_GROWN,
                    f"{what} p50 at {total:,} ≤ {GOAL_ADMIN_P50_MS_GROWN} ms: {row['p50']:.0f} ms "
                    f"({row['rps']:.0f} req/s)",
                )
            )
    return lines, goals
