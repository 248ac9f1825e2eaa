"""Versioned cache keys for what readers see of an article.

Every change that affects an article's public annotated page (an annotation
created, edited, moderated, flagged into hiding; the article revised; a tag
renamed) calls ``bump_article``; cached fragments include the version in
their keys, so stale entries are simply never read again. Works the same on
the local-memory cache and on a Redis cache shared by several app servers.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction


def _key(article_id: int) -> str:
    return f"article-version:{article_id}"


def article_version(article_id: int) -> int:
    version = cache.get(_key(article_id))
    if version is None:
        version = 1
        cache.add(_key(article_id), version, timeout=None)
    return int(version)


def bump_article(article_id: int) -> None:
    """Invalidate the article's cached pages once the current transaction commits."""

    def bump() -> None:
        try:
            cache.incr(_key(article_id))
        except ValueError:  # not cached yet: start a fresh version
            cache.set(_key(article_id), 2, timeout=None)

    transaction.on_commit(bump)
