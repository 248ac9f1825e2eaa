"""W3C Web Annotation Protocol endpoints (read-only) for approved, public annotations.

``/annotations/<id>.jsonld``
    One annotation (``annotations.exports.w3c.annotation_to_jsonld``); 404 unless it
    is approved, public and on a published article. Its ``id`` is its canonical IRI
    inside the article's container, ``/articles/<slug>/annotations/<id>``
    (``annotations.views.protocol``, which also writes), named by ``Link: rel="canonical"``.
``/articles/<slug>/annotations/``
    The article's annotations as an AnnotationCollection that is also an LDP
    BasicContainer; ``?page=N`` (from 0) is one AnnotationPage of
    ``annotations.exports.w3c.page_size()`` annotations; ``?iris=1`` lists annotation
    IRIs instead of full descriptions. Without ``?page`` the container honours
    the protocol's ``Prefer: return=representation; include="…"`` header:
    ``oa:PreferContainedDescriptions`` (the default: the first page embedded
    with full annotations), ``oa:PreferContainedIRIs`` (embedded, IRIs only)
    and ``ldp:PreferMinimalContainer`` (no page embedded, just links).

Every response carries the headers the protocol asks for: the JSON-LD media
type with the annotation profile, a strong ``ETag`` over the exact bytes (a
matching ``If-None-Match`` gets ``304 Not Modified``), ``Allow: GET, HEAD,
OPTIONS``, ``Link`` with the LDP type (and ``ldp:constrainedBy`` on the
container), ``Vary: Accept`` (plus ``Prefer`` on the container) and, on
collections and pages, ``Content-Location`` equal to the body's ``id``.
``Cache-Control: no-cache`` makes caches revalidate (cheaply, through the
ETag) so a moderator's decision is seen at once. The data is public, so any
origin may read it (``Access-Control-Allow-Origin: *``; no credentials are
ever used: these views never look at the session or the user).

Errors are ``application/problem+json`` (RFC 9457) bodies, never HTML:
400 for a malformed ``page`` or ``iris``, 404 for an unknown or unpublished
article, an annotation readers may not see, or a page past the last, 405 for
any method but GET, HEAD and OPTIONS.

Queries, whatever the number of annotations, tags or evidence: the single
annotation 3 (the annotation with author, paragraph and article; its tags;
its evidence); a collection or page 5 (the article; the count and latest
change; one page of annotations with author and paragraph; their tags; their
evidence), 3 with ``iris=1`` (primary keys only), 2 for a minimal container.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps

from django.db.models import Count, F, Max, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from annotations.caching import article_cached_value
from annotations.exports import w3c
from annotations.exports.links import base_url_of
from annotations.models import Annotation, thread_q
from articles.models import Article

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOW = ", ".join(ALLOWED_METHODS)
PROBLEM_MEDIA_TYPE = "application/problem+json"

PREFER_MINIMAL_CONTAINER = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
PREFER_CONTAINED_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_CONTAINED_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"

RESOURCE_LINK = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
CONTAINER_LINKS = ", ".join(
    [
        '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"',
        '<http://www.w3.org/ns/oa#AnnotationCollection>; rel="type"',
        '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"',
    ]
)

# Reading order for paging: paragraphs in order (paragraphs since removed
# last), whole-paragraph notes before quotes, then by quote and age; the pk
# makes the order total so pages never overlap or skip.
READING_ORDER = (
    F("block__position").asc(nulls_last=True),
    F("quote_start").asc(nulls_first=True),
    "created_at",
    "pk",
)

_DIGITS = re.compile(r"[0-9]+")
# More digits than this is past any last page (and int() refuses 4,301+ digits).
_MAX_PAGE_DIGITS = 12
_INCLUDE = re.compile(r'include\s*=\s*"([^"]*)"', re.IGNORECASE)


class BadQuery(ValueError):
    """A query parameter this endpoint cannot read; the message is for the client."""


# --- responses ------------------------------------------------------------------


def _common_headers(response: HttpResponse, *, links: str | None, vary: tuple[str, ...]) -> HttpResponse:
    response["Allow"] = ALLOW
    if links:
        response["Link"] = links
    patch_vary_headers(response, vary)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Link, Allow, Content-Location, Preference-Applied, Vary"
    return response


def problem(status: int, title: str, detail: str, *, vary: tuple[str, ...] = ("Accept",)) -> HttpResponse:
    """An RFC 9457 problem document (JSON) for a 4xx answer."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    response = HttpResponse(json.dumps(body), content_type=PROBLEM_MEDIA_TYPE, status=status)
    return _common_headers(response, links=None, vary=vary)


def _options(*, links: str, vary: tuple[str, ...]) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Access-Control-Allow-Methods"] = ALLOW
    response["Access-Control-Allow-Headers"] = "Accept, Prefer, If-None-Match"
    return _common_headers(response, links=links, vary=vary)


def serialise(data: dict) -> tuple[bytes, str]:
    """The JSON-LD bytes of ``data`` and their strong ETag (the protocol's writes answer with the same)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _jsonld(
    request: HttpRequest,
    data: dict,
    *,
    links: str,
    vary: tuple[str, ...] = ("Accept",),
    content_location: str | None = None,
    preference_applied: bool = False,
) -> HttpResponse:
    body, etag = serialise(data)
    response = HttpResponse(body, content_type=w3c.MEDIA_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    if content_location:
        response["Content-Location"] = content_location
    if preference_applied:
        response["Preference-Applied"] = "return=representation"
    _common_headers(response, links=links, vary=vary)
    # 304 for a matching If-None-Match on GET/HEAD (ETag, Vary, Content-Location and Cache-Control are kept).
    return get_conditional_response(request, etag=etag, response=response)


jsonld_response = _jsonld  # for the protocol's views (annotations.views.protocol)


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET, HEAD and OPTIONS only; anything else is a JSON 405 with ``Allow``.

    CSRF-exempt so that a POST gets that 405 rather than a CSRF 403: these
    views change nothing.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return problem(405, "Method Not Allowed", f"This resource is read-only; allowed methods: {ALLOW}.")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)


# --- query parameters and preferences ----------------------------------------------


def _single(query: QueryDict, name: str) -> str | None:
    values = query.getlist(name)
    if len(values) > 1:
        raise BadQuery(f"Give '{name}' at most once.")
    return values[0] if values else None


def parse_page(query: QueryDict) -> int | None:
    """The ``page`` number (from 0), None when absent; BadQuery when not a whole number."""
    raw = _single(query, "page")
    if raw is None:
        return None
    if not _DIGITS.fullmatch(raw):
        raise BadQuery("'page' must be a whole number from 0 (e.g. ?page=0).")
    if len(raw) > _MAX_PAGE_DIGITS:
        return 10**_MAX_PAGE_DIGITS
    return int(raw)


def parse_iris(query: QueryDict) -> bool | None:
    """``iris=1`` (IRIs only) or ``iris=0`` (full descriptions); None when absent."""
    raw = _single(query, "iris")
    if raw is None:
        return None
    if raw not in ("0", "1"):
        raise BadQuery("'iris' must be 0 (full descriptions) or 1 (annotation IRIs only).")
    return raw == "1"


def container_preference(prefer: str, iris_param: bool | None) -> tuple[bool, bool, bool]:
    """``(minimal, iris, applied)`` for a container request.

    ``prefer`` is the Prefer header (RFC 7240) with the protocol's
    ``return=representation; include="<IRIs>"``. An explicit ``?iris=`` wins
    over the header (the URL names the representation). ``applied`` tells
    whether the header's representation preference was honoured.
    """
    includes: set[str] = set()
    for match in _INCLUDE.finditer(prefer or ""):
        includes.update(match.group(1).split())
    recognised = includes & {PREFER_MINIMAL_CONTAINER, PREFER_CONTAINED_IRIS, PREFER_CONTAINED_DESCRIPTIONS}
    minimal = PREFER_MINIMAL_CONTAINER in includes
    if iris_param is not None:
        iris = iris_param
    else:
        iris = PREFER_CONTAINED_IRIS in includes and PREFER_CONTAINED_DESCRIPTIONS not in includes
    return minimal, iris, bool(recognised)


# --- data ---------------------------------------------------------------------


def _public_annotations(article: Article) -> QuerySet[Annotation]:
    """Approved and public, replies in a thread readers see included (issue #15), placeholders left out."""
    return Annotation.objects.public().filter(article=article, deleted_at__isnull=True).filter(thread_q())


def _page_items(annotations: QuerySet[Annotation], *, article: Article, page: int, size: int, iris: bool) -> list:
    window = slice(page * size, (page + 1) * size)
    ordered = annotations.order_by(*READING_ORDER)
    if iris:
        return list(ordered.values_list("pk", flat=True)[window])
    rows = list(
        ordered.select_related("author", "block", "original_revision", "anchored_revision").prefetch_related(
            "tags", "evidence"
        )[window]
    )
    for row in rows:
        row.article = article  # already loaded: no join, no query
    return rows


# --- views -------------------------------------------------------------------------


@read_only
def annotation_jsonld(request: HttpRequest, pk: int) -> HttpResponse:
    """One approved, public annotation on a published article, as W3C JSON-LD."""
    annotation = (
        Annotation.objects.readable()
        .filter(pk=pk)
        .select_related("author", "block", "article", "original_revision", "anchored_revision")
        .prefetch_related("tags", "evidence")
        .first()
    )
    if annotation is None:
        return problem(404, "Not Found", f"There is no published annotation {pk}.")
    base_url = base_url_of(request)
    links = ", ".join(
        [
            RESOURCE_LINK,
            f'<{w3c.annotation_iri(annotation, base_url=base_url)}>; rel="canonical"',
            f'<{base_url}{annotation.get_absolute_url()}>; rel="alternate"; type="text/html"',
        ]
    )
    if request.method == "OPTIONS":
        return _options(links=links, vary=("Accept",))
    data = w3c.annotation_to_jsonld(annotation, base_url=base_url)
    return _jsonld(request, data, links=links)


@read_only
def article_annotations_collection(request: HttpRequest, slug: str) -> HttpResponse:
    """A published article's approved, public annotations: the collection, or one page of it."""
    article = Article.objects.published().filter(slug=slug).first()
    if article is None:
        return problem(404, "Not Found", f"There is no published article '{slug}'.", vary=("Accept", "Prefer"))
    try:
        page = parse_page(request.GET)
        iris_param = parse_iris(request.GET)
    except BadQuery as error:
        return problem(400, "Bad Request", str(error), vary=("Accept", "Prefer"))
    if request.method == "OPTIONS":
        return _options(links=CONTAINER_LINKS if page is None else RESOURCE_LINK, vary=("Accept", "Prefer"))

    base_url = base_url_of(request)
    preference = container_preference(request.headers.get("Prefer", ""), iris_param) if page is None else None

    def build() -> tuple[str, object, object]:
        """The representation's data (the same for every reader: public annotations only)."""
        annotations = _public_annotations(article)
        stats = annotations.aggregate(total=Count("pk"), modified=Max("updated_at"))
        total, modified = stats["total"], stats["modified"]
        size = w3c.page_size()
        pages = w3c.page_count(total, size)
        if page is None:
            minimal, iris, applied = preference
            first_items = None
            if not minimal and pages:
                first_items = _page_items(annotations, article=article, page=0, size=size, iris=iris)
            data = w3c.collection_to_jsonld(
                article=article,
                base_url=base_url,
                total=total,
                modified=modified,
                size=size,
                first_items=first_items,
                iris=iris,
            )
            return "collection", data, applied
        if page >= pages:
            detail = (
                f"There is no page {page}: this collection has no annotations."
                if not pages
                else f"There is no page {page}: this collection has {pages} page(s), numbered 0 to {pages - 1}."
            )
            return "missing", detail, None
        iris = bool(iris_param)
        items = _page_items(annotations, article=article, page=page, size=size, iris=iris)
        data = w3c.page_to_jsonld(
            article=article,
            base_url=base_url,
            page=page,
            total=total,
            modified=modified,
            size=size,
            items=items,
            iris=iris,
        )
        return "page", data, None

    # Kept under the article's version (annotations.caching): a warm request is the article's query only.
    variant = f"{base_url}|{page}|{iris_param}|{preference}"
    (what, data, applied), version = article_cached_value("w3c-collection", article.pk, variant, build)
    if what == "missing":
        return problem(404, "Not Found", data)
    if what == "collection":
        response = _jsonld(
            request,
            data,
            links=CONTAINER_LINKS,
            vary=("Accept", "Prefer"),
            content_location=data["id"],
            preference_applied=applied,
        )
    else:
        response = _jsonld(request, data, links=RESOURCE_LINK, content_location=data["id"])
    # the same for every reader: shared with every reader without a session (annotations.page_cache)
    response.anonymous_page = (article.pk, version)
    return response
