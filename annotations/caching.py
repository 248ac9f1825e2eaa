"""Versioned cache keys for what readers see of an article.

Every change that affects an article's public annotated page (an annotation
created, edited, moderated, flagged into hiding; the article revised; a tag
renamed) calls ``bump_article``; cached fragments include the version in
their keys, so stale entries are simply never read again. Works the same on
the local-memory cache and on a Redis cache shared by several app servers.

With the cache unreachable (``config.cache.ResilientRedisCache`` reports it
through ``unavailable``) the bump cannot be written, and once the cache
returns (a network cut, or a Redis restart that reloads its data) it would
still hold the old version and the old page. So a bump that did not land
moves the article's ``updated_at`` in the database instead, which the
fragment keys also include (``annotations.views.article``): every app server
reads the new key on its next request, whichever process missed the bump and
even if it exited since. One UPDATE per missed bump, only while the cache is
down; the article's ``updated_at`` is shown to nobody (article revisions
move it the same way, ``articles.services.blocks``).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from articles.models import Article


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
        except ValueError:  # not cached yet (or the cache is down): start a fresh version
            cache.set(_key(article_id), 2, timeout=None)
        if getattr(cache, "unavailable", False):
            Article.objects.filter(pk=article_id).update(updated_at=timezone.now())

    transaction.on_commit(bump)
