"""Versioned cache keys for what readers see of an article.

Every change that affects an article's public annotated page (an annotation
created, edited, moderated, flagged into hiding; the article revised; a tag
renamed) calls ``bump_article``; cached fragments include the version in
their keys, so stale entries are simply never read again. Works the same on
the local-memory cache and on a Redis cache shared by several app servers.

With the cache unreachable (``config.cache.ResilientRedisCache`` reports it
through ``unavailable``), a bump cannot be written, and once the cache
returns it would hold the old version, serving the page from before the
change. So a bump that did not land is remembered in this process and
written before the next version is read or bumped here, as soon as the
cache answers again. (A process that exits before the cache returns loses
its list; the article's and its source's ``updated_at`` in the fragment
keys still cover article edits, not annotation changes.)
"""

from __future__ import annotations

import threading

from django.core.cache import cache
from django.db import transaction

# Articles whose bump was skipped because the cache was down, bumped again when it answers.
_missed: set[int] = set()
_missed_lock = threading.Lock()


def _key(article_id: int) -> str:
    return f"article-version:{article_id}"


def _cache_down() -> bool:
    return bool(getattr(cache, "unavailable", False))


def _write_bump(article_id: int) -> bool:
    """Move the article's version on; False when the cache did not take it."""
    try:
        cache.incr(_key(article_id))
    except ValueError:  # not cached yet (or the cache is down): start a fresh version
        cache.set(_key(article_id), 2, timeout=None)
    return not _cache_down()


def _replay_missed() -> None:
    if not _missed:
        return
    with _missed_lock:
        pending = sorted(_missed)
        _missed.clear()
    for article_id in pending:
        if not _write_bump(article_id):
            with _missed_lock:
                _missed.add(article_id)


def article_version(article_id: int) -> int:
    _replay_missed()
    version = cache.get(_key(article_id))
    if version is None:
        version = 1
        cache.add(_key(article_id), version, timeout=None)
    return int(version)


def bump_article(article_id: int) -> None:
    """Invalidate the article's cached pages once the current transaction commits."""

    def bump() -> None:
        _replay_missed()
        if not _write_bump(article_id):
            with _missed_lock:
                _missed.add(article_id)

    transaction.on_commit(bump)
