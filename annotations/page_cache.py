"""Whole anonymous article pages and exports from the cache, before sessions, auth and the database.

A reader without a session (no session or messages cookie, no ``Authorization``) asking for one of a
published article's surfaces that are the same for every such reader (``SURFACES``: the article page, any
query; its W3C annotation collection and the collection's pages; its Atom feed; its Markdown export) gets
the response the view made for the previous such request of the same address (and, for the collection, the
same ``Accept`` and ``Prefer``), with one cache round trip (``get_many`` of the entry and the article's
version) and no session, no authentication, no query and no template. The response holds nothing of any
reader's (no CSRF token, no name): the view marks a response as shareable (``response.anonymous_page``) only
when it made it for nobody in particular.

Stale responses are never served: an entry records the article's version
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
entry lives): an entry found there needs only the article's version and the
epoch from the shared cache, a few bytes instead of the whole page and its
gzip copy, and is served on the same rule (same version, same epoch), so it is
never staler than the shared entry.

The entry keeps the body and its gzip-compressed copy (served when the client
accepts gzip: the body has no secret in it to leak by compression), its
``ETag`` (the view's when it set one, else a hash of the body; ``-gz`` for the
compressed copy; ``ConditionalGetMiddleware`` answers ``If-None-Match`` with
304) and the headers the inner middleware and the view set (Content-Security-Policy,
the annotation service link, the protocol's ``Link``/``Allow``, ...). ``Cache-Control``
is the view's when it set one (the collection's ``no-cache``: a protocol client
revalidates), else it lets a shared cache keep the response
``ANNOTATIONS_SHARED_CACHE_SECONDS`` (30); ``Vary: Cookie`` keeps signed-in
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

# The surfaces (the URLconf's article-detail, article-annotations-collection, article-feed and
# article-markdown; tests/annotations/test_page_cache.py checks they agree) and the request headers their
# representation depends on besides the address, which their keys include.
SURFACES = re.compile(r"^/articles/(?P<slug>[-a-zA-Z0-9_]+)/(?P<surface>|annotations/|feed/|export\.md)$")
KEY_HEADERS = {"annotations/": ("HTTP_ACCEPT", "HTTP_PREFER")}
# headers the entry does not keep: set per response here, or by the outer middleware on every response
_NOT_KEPT = {"set-cookie", "content-length", "content-encoding", "etag", "cache-control", "vary", "expires"}
_ALWAYS_VARY = ("Cookie", "Accept-Encoding")
_article_ids: dict[str, int] = {}
# this process's copies of the entries it served last (annotations.caching.LocalCopies)
_local = LocalCopies()


def _timeout() -> int:
    return getattr(settings, "ANNOTATIONS_PAGE_CACHE_SECONDS", 300)


def _eligible(request) -> re.Match | None:
    """The surface's match (its ``slug`` and ``surface``) when the request may be answered from a shared entry."""
    if request.method not in ("GET", "HEAD") or _timeout() <= 0 or "HTTP_AUTHORIZATION" in request.META:
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    return SURFACES.match(request.path_info)


def _page_key(request, surface: str) -> str:
    variant = [request_address(request), *(request.META.get(name, "") for name in KEY_HEADERS.get(surface, ()))]
    return "anon-response:" + hashlib.sha256("\n".join(variant).encode()).hexdigest()[:40]


def _vary(response: HttpResponse) -> str:
    own = [name.strip() for name in response.get("Vary", "").split(",") if name.strip()]
    always = {name.lower() for name in _ALWAYS_VARY}
    return ", ".join([*_ALWAYS_VARY, *(name for name in own if name.lower() not in always)])


def _entry(response: HttpResponse, article_id: int, version: int, epoch) -> dict:
    body = response.content
    etag = response.get("ETag", "")
    if not re.fullmatch(r'"[^"]*"', etag):  # none, or a weak one: a strong ETag of these bytes
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    return {
        "article": article_id,
        "version": version,
        "epoch": epoch,
        "status": response.status_code,
        "body": body,
        "gzip": gzip.compress(body, compresslevel=6, mtime=0),
        "etag": etag,
        "cache_control": response.get("Cache-Control"),
        "vary": _vary(response),
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
    response["ETag"] = f'{entry["etag"][:-1]}-gz"' if compressed else entry["etag"]
    response["Vary"] = entry["vary"]
    shared = getattr(settings, "ANNOTATIONS_SHARED_CACHE_SECONDS", 30)
    response["Cache-Control"] = entry["cache_control"] or (
        f"public, max-age=0, s-maxage={shared}" if shared > 0 else "no-cache"
    )
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
        match = _eligible(request)
        if match is None:
            return self.get_response(request)
        slug = match["slug"]
        key = _page_key(request, match["surface"])
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
        if (
            shareable is None
            or request.method != "GET"  # a HEAD response's body may have been left out
            or response.status_code != 200
            or response.cookies
            or response.streaming
        ):
            return response
        article_id, version = shareable
        entry = _entry(response, article_id, version, epoch)
        cache.set(key, entry, _timeout())
        _local.keep(key, entry, _timeout())
        _article_ids[slug] = article_id
        return _response(request, entry)
