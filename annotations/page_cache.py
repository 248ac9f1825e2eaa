"""Whole anonymous article pages from the cache, before sessions, auth and the database.

A reader without a session (no session or messages cookie) asking for an
article page (``/articles/<slug>/``, any query) gets the page the view
rendered for the previous such reader of the same address, with one cache
round trip (``get_many`` of the page and the article's version) and no
session, no authentication, no query and no template. The page holds nothing
of any reader's (no CSRF token, no name): the view marks a response as
shareable (``response.anonymous_page``) only when it rendered the published
article for nobody in particular.

Stale pages are never served: an entry records the article's version
(``annotations.caching``), which every change bumps, and the cache's epoch,
which moves whenever a process sees Redis come back after an outage (bumps
may have been missed meanwhile; ``config.cache.EPOCH_KEY``); an entry whose
version or epoch is not the current one is a miss. This process learns which article a slug
names from the responses it renders (``_article_ids``), so the first request
for an article in each process goes through the view. Entries expire after
``ANNOTATIONS_PAGE_CACHE_SECONDS`` (300; 0 turns this off), which bounds a
version bump lost with a process that exited while the cache was down.

Each process also keeps the entries it served last in memory (at most
``ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES``, 64; for no longer than the shared
entry lives): a page found there needs only the article's version and the
epoch from the shared cache, a few bytes instead of the whole page and its
gzip copy, and is served on the same rule (same version, same epoch), so it is
never staler than the shared entry.

The entry keeps the page and its gzip-compressed copy (served when the client
accepts gzip: the page has no secret in it to leak by compression), its
``ETag`` (``ConditionalGetMiddleware`` answers ``If-None-Match`` with 304)
and the headers the inner middleware set (Content-Security-Policy, the
annotation service link, ...). ``Cache-Control`` lets a shared cache keep it
``ANNOTATIONS_SHARED_CACHE_SECONDS`` (30), ``Vary: Cookie`` keeps signed-in
readers out of it.
"""

from __future__ import annotations

import gzip
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from annotations.caching import EPOCH_KEY, LocalCopies, _missed, replay_missed_bumps, request_address, version_key

ARTICLE_PATH = re.compile(r"^/articles/(?P<slug>[-a-zA-Z0-9_]+)/$")
# headers the entry does not keep: set per response here, or by the outer middleware on every response
_NOT_KEPT = {"set-cookie", "content-length", "content-encoding", "etag", "cache-control", "vary", "expires"}
_article_ids: dict[str, int] = {}
# this process's copies of the entries it served last (annotations.caching.LocalCopies)
_local = LocalCopies()


def _timeout() -> int:
    return getattr(settings, "ANNOTATIONS_PAGE_CACHE_SECONDS", 300)


def _eligible(request) -> str | None:
    """The article slug when the request may be answered with the shared anonymous page."""
    if request.method not in ("GET", "HEAD") or _timeout() <= 0:
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    match = ARTICLE_PATH.match(request.path_info)
    return match["slug"] if match else None


def _page_key(request) -> str:
    return "anon-page:" + hashlib.sha256(request_address(request).encode()).hexdigest()[:40]


def _entry(response: HttpResponse, article_id: int, version: int, epoch) -> dict:
    body = response.content
    digest = hashlib.sha256(body).hexdigest()[:32]
    return {
        "article": article_id,
        "version": version,
        "epoch": epoch,
        "status": response.status_code,
        "body": body,
        "gzip": gzip.compress(body, compresslevel=6, mtime=0),
        "etag": digest,
        "headers": [(name, value) for name, value in response.items() if name.lower() not in _NOT_KEPT],
    }


def _response(request, entry: dict) -> HttpResponse:
    compressed = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    body = entry["gzip"] if compressed else entry["body"]
    response = HttpResponse(b"" if request.method == "HEAD" else body, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    response["Content-Length"] = str(len(body))
    if compressed:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = f'"{entry["etag"]}{"-gz" if compressed else ""}"'
    response["Vary"] = "Cookie, Accept-Encoding"
    shared = getattr(settings, "ANNOTATIONS_SHARED_CACHE_SECONDS", 30)
    response["Cache-Control"] = f"public, max-age=0, s-maxage={shared}" if shared > 0 else "no-cache"
    return response


def _current(entry: dict | None, current: tuple) -> bool:
    """The entry was rendered for this article at its current version (known) and the cache's current epoch."""
    return (
        entry is not None and current[1] is not None and (entry["article"], entry["version"], entry["epoch"]) == current
    )


class AnonymousArticlePageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        slug = _eligible(request)
        if slug is None:
            return self.get_response(request)
        key = _page_key(request)
        article_id = _article_ids.get(slug)
        if article_id is not None:
            if _missed:
                replay_missed_bumps()
            held = _local.fresh(key)
            if held is not None:  # only the version and the epoch (a few bytes) come from the shared cache
                found = cache.get_many([version_key(article_id), EPOCH_KEY])
                current = (article_id, found.get(version_key(article_id)), found.get(EPOCH_KEY))
                if _current(held, current):
                    return _response(request, held)
                shared = cache.get(key)  # changed since: another process may have rendered it already
            else:
                found = cache.get_many([key, version_key(article_id), EPOCH_KEY])
                current = (article_id, found.get(version_key(article_id)), found.get(EPOCH_KEY))
                shared = found.get(key)
            if _current(shared, current):
                _local.keep(key, shared, _timeout())
                return _response(request, shared)
        epoch = cache.get(EPOCH_KEY)  # read before rendering: an outage that ends meanwhile invalidates the entry
        response = self.get_response(request)
        shareable = getattr(response, "anonymous_page", None)
        if shareable is None or response.status_code != 200 or response.cookies or response.streaming:
            return response
        article_id, version = shareable
        entry = _entry(response, article_id, version, epoch)
        cache.set(key, entry, _timeout())
        _local.keep(key, entry, _timeout())
        _article_ids[slug] = article_id
        return _response(request, entry)
