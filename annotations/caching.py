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

The whole anonymous page (``annotations.page_cache``) is served without the
database, so it cannot see ``updated_at``: a process that missed a bump keeps
the article in ``_missed`` and bumps it again on its first request once the
cache answers; entries of the whole page also expire after a few minutes, which
bounds what a process that exited before the cache came back could leave.

A version that is not in the cache (never set, evicted, or the cache was
flushed) starts from the clock in microseconds, never from a small number, so
it cannot match an entry stored under an earlier life of the key.

Each process keeps copies of the entries it used last (``LocalCopies``: the
whole anonymous pages, the exports): they are served under the same rule as
the shared entries (the article's current version and the cache's current
epoch, both read from the shared cache on every request), so a hit reads a
few bytes from Redis instead of the whole page or export.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from articles.models import Article

_missed: set[int] = set()


class LocalCopies(dict):
    """This process's copies of shared-cache entries: key -> (entry, monotonic time it expires), oldest first,
    at most ``ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES`` (64; 0: none). A copy is only ever used after the caller
    checked it against the current version and epoch, and never outlives the shared entry's timeout."""

    def fresh(self, key: str):
        held = self.get(key)
        if held is None:
            return None
        entry, expires = held
        if time.monotonic() >= expires:
            self.pop(key, None)
            return None
        return entry

    def keep(self, key: str, entry, timeout: float) -> None:
        size = getattr(settings, "ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES", 64)
        if size <= 0:
            return
        self.pop(key, None)
        self[key] = (entry, time.monotonic() + timeout)
        while len(self) > size:
            try:
                del self[next(iter(self))]
            except (KeyError, StopIteration, RuntimeError):  # another thread evicted it first
                break


_local_values = LocalCopies()

# The cache's epoch (config.cache.EPOCH_KEY: the Redis backend moves it when Redis answers again after an
# outage). Same string; config cannot be imported from here (it loads before the apps).
EPOCH_KEY = "cache-epoch"


def version_key(article_id: int) -> str:
    return f"article-version:{article_id}"


def _fresh_version() -> int:
    return time.time_ns() // 1000


def article_version(article_id: int) -> int:
    version = cache.get(version_key(article_id))
    if version is None:
        version = _fresh_version()
        if not cache.add(version_key(article_id), version, timeout=None):
            version = cache.get(version_key(article_id), version)
    return int(version)


def _bump_now(article_id: int) -> bool:
    """Move the article's version on; False when the cache did not take it."""
    try:
        cache.incr(version_key(article_id))
    except ValueError:  # not cached (evicted, or the cache is down): start a fresh version
        cache.set(version_key(article_id), _fresh_version(), timeout=None)
    return not getattr(cache, "unavailable", False)


def bump_article(article_id: int) -> None:
    """Invalidate the article's cached pages once the current transaction commits."""

    def bump() -> None:
        if not _bump_now(article_id):
            _missed.add(article_id)
            Article.objects.filter(pk=article_id).update(updated_at=timezone.now())

    transaction.on_commit(bump)


def replay_missed_bumps() -> None:
    """Bump again what this process could not bump while the cache was down (called per cached read)."""
    for article_id in list(_missed):
        if not _bump_now(article_id):
            return
        _missed.discard(article_id)


EXPORT_TIMEOUT = 3600


def request_address(request) -> str:
    """The address a request asked for, host and query included (the exports and pages hold absolute links)."""
    return f"{request.scheme}://{request.get_host()}{request.path}?{request.META.get('QUERY_STRING', '')}"


def article_cached_value(kind: str, article_id: int, variant: str, compute, *, keep=lambda value: True):
    """``(compute()'s value, the article's version)``: the value (anything picklable) is kept under the
    article's version and the cache's epoch for this ``variant`` (e.g. the address and the parsed preferences
    of a W3C collection request), when ``keep(value)`` says so. A change to the article moves the version, so
    an entry is never served stale; the version is the one the value was made for (the caller may label a
    response with it, ``annotations.page_cache``)."""
    digest = hashlib.sha256(variant.encode()).hexdigest()[:40]
    found = cache.get_many([version_key(article_id), EPOCH_KEY])
    version, epoch = found.get(version_key(article_id)), found.get(EPOCH_KEY)
    version = article_version(article_id) if version is None else int(version)
    key = f"{kind}:{article_id}:{version}:{digest}"
    entry = _local_values.fresh(key)  # a copy here: the version and the epoch were all the shared cache sent
    if entry is None or entry.get("epoch") != epoch:
        entry = cache.get(key)
        if entry is not None and entry.get("epoch") == epoch:
            _local_values.keep(key, entry, EXPORT_TIMEOUT)
    if entry is not None and entry.get("epoch") == epoch:
        return entry["value"], version
    value = compute()
    if keep(value):
        entry = {"value": value, "epoch": epoch}
        cache.set(key, entry, EXPORT_TIMEOUT)
        _local_values.keep(key, entry, EXPORT_TIMEOUT)
    return value, version


def article_cached_response(request, *, kind: str, article_id: int, render):
    """The response ``render()`` makes for this address, kept like ``article_cached_value`` (for exports
    that are the same for every reader: feeds, the Markdown export); only a plain 200 is kept, and it is
    marked as shareable with every reader without a session (``annotations.page_cache``)."""
    from django.http import HttpResponse

    rendered = []

    def compute():
        response = render()
        rendered.append(response)
        if response.status_code != 200 or response.streaming or response.cookies:
            return None
        headers = [(n, v) for n, v in response.items() if n.lower() not in {"set-cookie", "content-length", "vary"}]
        return {"content": response.content, "headers": headers}

    entry, version = article_cached_value(
        f"export:{kind}", article_id, request_address(request), compute, keep=lambda value: value is not None
    )
    if rendered:
        response = rendered[0]
        if entry is None:
            return response
    else:
        response = HttpResponse(entry["content"])
        for name, value in entry["headers"]:
            response[name] = value
    response.anonymous_page = (article_id, version)
    return response
