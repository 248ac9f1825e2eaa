"""The W3C Web Annotation Protocol (https://www.w3.org/TR/annotation-protocol/): containers that take writes.

``/articles/<slug>/annotations/``
    The article's LDP Basic Container: GET, HEAD and OPTIONS serve the
    AnnotationCollection of ``annotations.views.w3c`` (approved, public
    annotations; paging and ``Prefer`` there); POST creates an annotation.
``/articles/<slug>/annotations/<id>``
    One annotation's canonical IRI: GET, HEAD, OPTIONS, PUT (replace) and
    DELETE. Readers see approved, public annotations; the author (by session
    or token) also sees their own pending, rejected, hidden and private ones,
    with a ``moderation`` member (``status``, ``visibility``, and the
    moderator's ``reason``) that is this site's own, outside the model.
    Anyone else gets 404, as on the site.

Writes need an account: a personal API token (``Authorization: Bearer``,
``accounts.tokens``; scope ``write``), exempt from CSRF, or the session, which
keeps Django's CSRF check. Cross-origin writes are refused unless their
``Origin`` is in ``ANNOTATIONS_CORS_WRITE_ORIGINS`` (settings' CORS block).
They count against the site's rate limits (``annotate`` for POST, ``edit`` for
PUT and DELETE) and go through the same services as the forms
(``create_annotation``, ``update_annotation``, ``delete_annotation``): the
same validation messages, size limits and moderation policy (a fact-check is
pending until a moderator approves it; the 201 body says so in
``moderation``). The W3C JSON is read by ``annotations.services.w3c_input``.

PUT needs ``If-Match`` with the annotation's current ETag (428 without, 412
when stale), so that no edit is lost; DELETE honours it when sent (412 when
stale) and deletes without it (the protocol's own DELETE sends none, and a
delete has no edit to lose); PUT keeps the annotation's kind and paragraph
(409 otherwise). Bodies must be JSON (``application/ld+json``, with or
without the annotation profile, or ``application/json``; 415 otherwise) of at
most ``ANNOTATIONS_PROTOCOL_MAX_BODY`` bytes (413, checked before reading).
Every refusal is an ``application/problem+json`` with a ``detail`` for people.

Queries: GET of one annotation 3 (the annotation with author, paragraph,
article and revisions; its tags; its evidence), plus 1 with a token (and an
UPDATE of its last use at most once a minute).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from accounts.models import ApiToken
from accounts.ratelimits import CacheUnavailable, retry_after
from accounts.tokens import TokenError, authenticate_bearer
from annotations import services
from annotations.exports import w3c as presenter
from annotations.exports.links import base_url_of
from annotations.models import Annotation
from annotations.services.w3c_input import (
    AnnotationInput,
    ProtocolError,
    article_slug_of_url,
    parse_annotation,
    resolve_target,
)
from annotations.views import w3c
from articles.models import Article

CONTAINER_ALLOW = "GET, HEAD, OPTIONS, POST"
ANNOTATION_ALLOW = "GET, HEAD, OPTIONS, PUT, DELETE"
ACCEPT_POST = f'application/ld+json; profile="{presenter.ANNO_CONTEXT}", application/ld+json, application/json'
JSON_MEDIA_TYPES = ("application/ld+json", "application/json")
DEFAULT_MAX_BODY = 256 * 1024
# a single annotation's representation depends on who asks (its author sees more)
PERSONAL_VARY = ("Accept", "Authorization", "Cookie")


def max_body() -> int:
    return int(getattr(settings, "ANNOTATIONS_PROTOCOL_MAX_BODY", DEFAULT_MAX_BODY))


# --- responses ---------------------------------------------------------------------------------------------


def problem(
    status: int, title: str, detail: str, *, allow: str, extra: dict | None = None, headers: dict | None = None
) -> HttpResponse:
    """An RFC 9457 problem document; ``extra`` members (e.g. ``errors`` per field) are added to it."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **(extra or {})}
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type=w3c.PROBLEM_MEDIA_TYPE, status=status)
    response["Allow"] = allow
    for name, value in (headers or {}).items():
        response[name] = value
    patch_vary_headers(response, ("Accept",))
    return response


def _from_error(error: ProtocolError, *, allow: str) -> HttpResponse:
    headers = {"Accept-Post": ACCEPT_POST} if error.status == 415 else None
    return problem(error.status, error.title, error.detail, allow=allow, extra=error.extra, headers=headers)


def _validation_problem(exc: ValidationError, *, allow: str) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    detail = " ".join(message for messages in errors.values() for message in messages)
    return problem(422, "Unprocessable Content", detail, allow=allow, extra={"errors": errors})


def _acceptable(request: HttpRequest) -> bool:
    """Whether the Accept header admits JSON-LD (absent, */*, application/*, ld+json or json)."""
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return True
    for item in accept.split(","):
        media_type, _, params = item.strip().partition(";")
        if "q=0" in params.replace(" ", "") and "q=0." not in params.replace(" ", ""):
            continue
        if media_type.strip().lower() in ("*/*", "application/*", *JSON_MEDIA_TYPES):
            return True
    return False


def _not_acceptable(allow: str) -> HttpResponse:
    return problem(
        406,
        "Not Acceptable",
        f"This resource is served as {presenter.MEDIA_TYPE} only; send that (or */*) in Accept.",
        allow=allow,
    )


# --- who is asking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    user: object
    token: ApiToken | None = None


def _unauthorized(detail: str, *, allow: str, error: str | None = None) -> HttpResponse:
    challenge = 'Bearer realm="annotations"'
    if error:
        challenge += f', error="{error}"'
    return problem(401, "Unauthorized", detail, allow=allow, headers={"WWW-Authenticate": challenge})


def _caller(request: HttpRequest, *, allow: str) -> Caller | HttpResponse:
    """The token's user (and the token) for a Bearer request, else the session's user; 401 for a bad token."""
    try:
        bearer = authenticate_bearer(request)
    except TokenError as error:
        if error.error == "invalid_request":
            return problem(400, "Bad Request", str(error), allow=allow)
        return _unauthorized(str(error), allow=allow, error=error.error)
    if bearer is not None:
        request.user = bearer.user
        return Caller(user=bearer.user, token=bearer.token)
    return Caller(user=request.user)


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF check, for a write authenticated by the session cookie (the view itself is exempt)."""
    check = CsrfViewMiddleware(lambda _request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _cross_origin_refused(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == f"{request.scheme}://{request.get_host()}":
        return False
    return origin not in getattr(settings, "CORS_ALLOWED_ORIGINS", [])


def _writer(request: HttpRequest, *, allow: str, action: str) -> Caller | HttpResponse:
    """The caller of a write, checked: signed in, CSRF for the session, write scope, origin, rate limit."""
    caller = _caller(request, allow=allow)
    if isinstance(caller, HttpResponse):
        return caller
    if caller.token is None:
        if not caller.user.is_authenticated:
            return _unauthorized(
                "Writing needs an account: send 'Authorization: Bearer <token>' with a personal API token "
                "(create one at /accounts/tokens/).",
                allow=allow,
            )
        failure = _csrf_failure(request)
        if failure is not None:
            return failure
    elif not caller.token.can_write:
        return problem(
            403,
            "Forbidden",
            "This API token is read-only; create one with the write scope.",
            allow=allow,
            headers={"WWW-Authenticate": 'Bearer realm="annotations", error="insufficient_scope", scope="write"'},
        )
    if _cross_origin_refused(request):
        return problem(403, "Forbidden", "Writes are not accepted from this origin.", allow=allow)
    counted = copy.copy(request)
    counted.method = "POST"  # django-ratelimit counts the methods it is told; every write counts here
    try:
        seconds = retry_after(counted, action)
    except CacheUnavailable:
        return problem(503, "Service Unavailable", "Try again in a minute.", allow=allow, headers={"Retry-After": "60"})
    if seconds is not None:
        return problem(
            429,
            "Too Many Requests",
            f"Too many writes; try again in {seconds} seconds.",
            allow=allow,
            headers={"Retry-After": str(seconds)},
        )
    return caller


# --- reading the request body ---------------------------------------------------------------------------------


def _read_json(request: HttpRequest) -> object:
    """The decoded JSON body; ProtocolError 415 (not JSON), 413 (too large, refused before reading), 400."""
    if request.content_type not in JSON_MEDIA_TYPES:
        raise ProtocolError(
            415,
            f"Send the annotation as {presenter.MEDIA_TYPE} (or application/json), not "
            f"{request.content_type or 'without a Content-Type'}.",
            title="Unsupported Media Type",
        )
    limit = max_body()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ProtocolError(
            413, f"The body is {length} bytes; at most {limit} are accepted.", title="Content Too Large"
        )
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise ProtocolError(413, f"The body is over {limit} bytes.", title="Content Too Large")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolError(400, "The body is not UTF-8.") from None
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(400, f"The body is not valid JSON ({str(exc)[:200]}).") from None


def _parse(request: HttpRequest, article: Article) -> AnnotationInput:
    hosts = {request.get_host().lower()}
    site = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].lower()
    if site:
        hosts.add(site)
    data = _read_json(request)
    parsed = parse_annotation(data, article_of_url=lambda url: article_slug_of_url(url, hosts=hosts))
    if parsed.target.article_slug != article.slug:
        raise ProtocolError(
            422,
            f"The target is the article '{parsed.target.article_slug}', not '{article.slug}': send it to that "
            "article's container.",
        )
    return parsed


# --- one annotation as JSON-LD ---------------------------------------------------------------------------------


def _load(*, pk: int, slug: str):
    return (
        Annotation.objects.filter(pk=pk, article__slug=slug, article__status=Article.Status.PUBLISHED)
        .select_related("author", "block", "article", "original_revision", "anchored_revision")
        .prefetch_related("tags", "evidence")
    )


def _visible(annotation: Annotation | None, user) -> bool:
    if annotation is None:
        return False
    if user.is_authenticated and annotation.author_id == user.pk:
        return True
    # a reply only in a thread readers see, never a deleted placeholder (issue #15: the readers' rule)
    simple = annotation.parent_id is None and annotation.deleted_at is None
    return annotation.is_public_and_approved and (
        simple or Annotation.objects.readable().filter(pk=annotation.pk).exists()
    )


def representation(annotation: Annotation, *, base_url: str, user) -> dict:
    """The annotation as W3C JSON-LD; for its author, with its ``moderation`` state."""
    data = presenter.annotation_to_jsonld(annotation, base_url=base_url)
    if user.is_authenticated and annotation.author_id == user.pk:
        moderation = {"status": annotation.status, "visibility": annotation.visibility}
        if annotation.moderation_reason and annotation.status != Annotation.Status.APPROVED:
            moderation["reason"] = annotation.moderation_reason
        data["moderation"] = moderation
    return data


def _links(annotation: Annotation, *, base_url: str) -> str:
    return f'{w3c.RESOURCE_LINK}, <{base_url}{annotation.get_absolute_url()}>; rel="alternate"; type="text/html"'


def _annotation_response(request, annotation: Annotation, *, user, status: int = 200) -> HttpResponse:
    """The annotation after a write (no conditional handling: the request's If-Match was for the old one)."""
    base_url = base_url_of(request)
    body, etag = w3c.serialise(representation(annotation, base_url=base_url, user=user))
    response = HttpResponse(body, content_type=presenter.MEDIA_TYPE, status=status)
    response["ETag"] = etag
    response["Allow"] = ANNOTATION_ALLOW
    response["Link"] = _links(annotation, base_url=base_url)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, PERSONAL_VARY)
    return response


def _current_etag(request, annotation: Annotation, *, user) -> str:
    return w3c.serialise(representation(annotation, base_url=base_url_of(request), user=user))[1]


def _precondition(request, annotation: Annotation, *, user) -> HttpResponse | None:
    """412 when If-Match names another version (strong comparison; ``*`` matches); without it, 428 for a PUT
    (a replacement made on a stale copy would lose an edit) and nothing for a DELETE."""
    header = request.headers.get("If-Match")
    if header is None and request.method == "DELETE":
        return None
    if header is None:
        return problem(
            428,
            "Precondition Required",
            "Send If-Match with the annotation's current ETag (from a GET), so that no change is lost.",
            allow=ANNOTATION_ALLOW,
        )
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or _current_etag(request, annotation, user=user) in tags:
        return None
    return problem(
        412,
        "Precondition Failed",
        "The annotation has changed since that ETag: GET it again and re-apply your change.",
        allow=ANNOTATION_ALLOW,
    )


# --- views -----------------------------------------------------------------------------------------------------


@csrf_exempt
def container(request: HttpRequest, slug: str) -> HttpResponse:
    """An article's annotation container: the collection (GET, HEAD, OPTIONS) and POST to create."""
    allow = CONTAINER_ALLOW if "page" not in request.GET else w3c.ALLOW  # a page is read-only
    if request.method == "POST" and allow == CONTAINER_ALLOW:
        response = _create(request, slug)
    elif request.method in ("GET", "HEAD", "OPTIONS"):
        if request.method != "OPTIONS" and not _acceptable(request):
            response = _not_acceptable(allow)
        else:
            response = w3c.article_annotations_collection(request, slug)
    else:
        response = problem(405, "Method Not Allowed", f"Allowed methods: {allow}.", allow=allow)
    response["Allow"] = allow
    if response.status_code < 400 and allow == CONTAINER_ALLOW:
        response["Accept-Post"] = ACCEPT_POST
    if "Access-Control-Allow-Methods" in response:
        response["Access-Control-Allow-Methods"] = allow
    return response


def _create(request: HttpRequest, slug: str) -> HttpResponse:
    article = Article.objects.published().filter(slug=slug).first()
    if article is None:
        return problem(404, "Not Found", f"There is no published article '{slug}'.", allow=CONTAINER_ALLOW)
    caller = _writer(request, allow=CONTAINER_ALLOW, action="annotate")
    if isinstance(caller, HttpResponse):
        return caller
    try:
        parsed = _parse(request, article)
        with transaction.atomic():
            resolved = resolve_target(article, parsed.target)
            created = services.create_annotation(
                author=caller.user,
                article=article,
                block_key=resolved.block_key,
                kind=parsed.kind,
                body=parsed.body,
                tags=parsed.tags,
                quote=resolved.quote,
                claim=parsed.claim,
                verdict=parsed.verdict,
                evidence=parsed.evidence,
                canonical=parsed.canonical,
                via=parsed.via,
                parent=parsed.target.reply_to,  # a reply (motivation replying, issue #15), or None
            )
    except ProtocolError as error:
        return _from_error(error, allow=CONTAINER_ALLOW)
    except ValidationError as exc:
        return _validation_problem(exc, allow=CONTAINER_ALLOW)
    except PermissionDenied as exc:
        return problem(403, "Forbidden", str(exc) or "Not allowed.", allow=CONTAINER_ALLOW)
    annotation = _load(pk=created.pk, slug=slug).get()
    response = _annotation_response(request, annotation, user=caller.user, status=201)
    response["Location"] = presenter.annotation_iri(annotation, base_url=base_url_of(request))
    return response


@csrf_exempt
def annotation_resource(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One annotation at its canonical IRI: read it, replace it (PUT) or delete it."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return _read(request, slug, pk)
    if request.method in ("PUT", "DELETE"):
        return _write(request, slug, pk)
    return problem(405, "Method Not Allowed", f"Allowed methods: {ANNOTATION_ALLOW}.", allow=ANNOTATION_ALLOW)


def _not_found(pk: int) -> HttpResponse:
    return problem(404, "Not Found", f"There is no annotation {pk} here that you may see.", allow=ANNOTATION_ALLOW)


def _read(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    caller = _caller(request, allow=ANNOTATION_ALLOW)
    if isinstance(caller, HttpResponse):
        return caller
    if request.method != "OPTIONS" and not _acceptable(request):
        return _not_acceptable(ANNOTATION_ALLOW)
    annotation = _load(pk=pk, slug=slug).first()
    if not _visible(annotation, caller.user):
        return _not_found(pk)
    base_url = base_url_of(request)
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
        response["Link"] = _links(annotation, base_url=base_url)
        patch_vary_headers(response, PERSONAL_VARY)
    else:
        data = representation(annotation, base_url=base_url, user=caller.user)
        response = w3c.jsonld_response(request, data, links=_links(annotation, base_url=base_url), vary=PERSONAL_VARY)
        if "moderation" in data:
            response["Cache-Control"] = "private, no-cache"
    response["Allow"] = ANNOTATION_ALLOW
    return response


def _write(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    caller = _writer(request, allow=ANNOTATION_ALLOW, action="edit")
    if isinstance(caller, HttpResponse):
        return caller
    user = caller.user
    try:
        with transaction.atomic():
            annotation = _load(pk=pk, slug=slug).select_for_update(of=("self",)).first()
            if annotation is None or annotation.author_id != user.pk:
                return _not_found(pk)  # anyone else's annotation is not found, as on the site
            refused = _precondition(request, annotation, user=user)
            if refused is not None:
                return refused
            if request.method == "DELETE":
                services.delete_annotation(actor=user, annotation=annotation)
                return HttpResponse(status=204)
            _replace(request, annotation, user=user)
    except ProtocolError as error:
        return _from_error(error, allow=ANNOTATION_ALLOW)
    except ValidationError as exc:
        return _validation_problem(exc, allow=ANNOTATION_ALLOW)
    except PermissionDenied:
        return _not_found(pk)
    return _annotation_response(request, _load(pk=pk, slug=slug).get(), user=user)


def _replace(request: HttpRequest, annotation: Annotation, *, user) -> None:
    """PUT: the annotation as sent replaces what it says; its kind and paragraph stay."""
    parsed = _parse(request, annotation.article)
    iri = presenter.annotation_iri(annotation, base_url=base_url_of(request))
    if parsed.id is not None and parsed.id != iri:
        raise ProtocolError(409, f"The annotation's id must be its IRI, {iri}.")
    if parsed.canonical and parsed.canonical != annotation.canonical:
        raise ProtocolError(
            409,
            "An annotation's canonical IRI cannot change"
            + (f" (it is {annotation.canonical})." if annotation.canonical else ": this one has none."),
        )
    if parsed.kind != annotation.kind:
        raise ProtocolError(
            409, "An annotation's kind (note or fact-check) cannot change: delete it and create a new one."
        )
    resolved = resolve_target(annotation.article, parsed.target)
    if resolved.block_key != annotation.block.key:
        raise ProtocolError(
            409,
            f"An annotation stays on its paragraph (p-{annotation.block.key}): delete it and create a new one "
            f"on p-{resolved.block_key}.",
        )
    services.update_annotation(
        actor=user,
        annotation=annotation,
        body=parsed.body,
        tags=parsed.tags,
        quote=resolved.quote,
        claim=parsed.claim,
        verdict=parsed.verdict,
        evidence=parsed.evidence if annotation.is_fact_check else [],
    )
