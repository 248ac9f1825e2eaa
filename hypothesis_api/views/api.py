"""The h-compatible API the Hypothesis client calls (client:src/sidebar/services/api.ts), under one prefix.

Discovery: ``GET <prefix>`` is the route map (every route the client may call, with its method and URL template);
``GET <prefix>links`` the page links the sidebar needs (sign-up, account, a user's page, a tag's search).
``POST <prefix>token`` exchanges a grant token or a refresh token (``hypothesis_api.tokens``).

Who is asking comes from ``Authorization: Bearer <access token>`` only (never the session cookie nor the body),
so the views are exempt from CSRF: a request without a token reads as nobody and writes nothing. Writes count
against the site's rate limits (``annotate``, ``edit``, ``flag``) and go through ``annotations.services``.
Refusals are h's ``{"status": "failure", "reason": "…"}`` with a 4xx, which the sidebar shows.

Optional routes the client may call (``profile.update``, hiding, moderating, group members, analytics) answer as
h does when it will not do them: the profile unchanged, 204 for analytics, a failure for the rest.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import RestrictedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from accounts.ratelimits import CacheUnavailable, retry_after
from annotations import services
from annotations.exports.links import base_url_of
from annotations.models import Annotation, Flag
from annotations.services import moderation
from annotations.services.w3c_input import article_slug_of_url
from articles.models import Article
from hypothesis_api import presenters, selectors, targets, tokens

MAX_BODY = 64 * 1024  # an annotation's JSON; the services then apply their own limits (5,000-character body, ...)
CORS_FREE = ("GET", "HEAD")


# --- responses -------------------------------------------------------------------------------------------------


def failure(status: int, reason: str, **headers) -> JsonResponse:
    response = JsonResponse({"status": "failure", "reason": reason}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _json(data, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{'' if field == '__all__' else field + ': '}{m}" for field, ms in exc.message_dict.items() for m in ms
        )
    return " ".join(exc.messages)


# --- who is asking ---------------------------------------------------------------------------------------------


def api_view(methods: tuple[str, ...]):
    """Exempt from CSRF (the token is the credential), sets ``request.api_user`` from the token, 405 otherwise."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                response = failure(405, f"Use {', '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                user = tokens.bearer_user(request)
            except tokens.TokenError as error:
                return failure(
                    error.status, str(error), WWW_Authenticate=f'Bearer realm="hypothesis", error="{error.error}"'
                )
            request.api_user = user
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _signed_in(request) -> bool:
    return request.api_user is not None


def _limited(request: HttpRequest, action: str) -> JsonResponse | None:
    """Counts this write against ``action``'s rate limits (as the token's user); the refusal, if any."""
    counted = copy.copy(request)
    counted.method = "POST"  # django-ratelimit counts the methods it is told; every write counts here
    counted.user = request.api_user
    try:
        seconds = retry_after(counted, action)
    except CacheUnavailable:
        return failure(503, "Try again in a minute.", Retry_After="60")
    if seconds is not None:
        return failure(429, f"Too many changes; try again in {seconds} seconds.", Retry_After=str(seconds))
    return None


def _read_json(request: HttpRequest):
    """The JSON body (an object), or a failure: 413 over ``MAX_BODY`` (refused before reading), 400 otherwise."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return failure(413, f"The annotation is {length} bytes; at most {MAX_BODY} are accepted.")
    raw = request.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return failure(413, f"The annotation is over {MAX_BODY} bytes.")
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return failure(400, "The body is not valid JSON.")
    if not isinstance(data, dict):
        return failure(400, "Send the annotation as a JSON object.")
    return data


# --- discovery -------------------------------------------------------------------------------------------------


def _api_url(request, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(f"hypothesis_api:{name}", kwargs=kwargs))


def _route(method: str, url: str, desc: str) -> dict:
    return {"method": method, "url": url, "desc": desc}


@api_view(("GET",))
def index(request: HttpRequest) -> JsonResponse:
    """The route map: route name → method and URL template (``:id`` filled in by the client)."""
    root = _api_url(request, "index")
    one = root + "annotations/:id"
    links = {
        "annotation": {
            "create": _route("POST", root + "annotations", "Create an annotation"),
            "read": _route("GET", one, "Fetch an annotation"),
            "update": _route("PATCH", one, "Update an annotation"),
            "delete": _route("DELETE", one, "Delete an annotation"),
            "flag": _route("PUT", one + "/flag", "Flag an annotation for review"),
            "hide": _route("PUT", one + "/hide", "Hide an annotation (moderators: use the site's admin)"),
            "unhide": _route("DELETE", one + "/hide", "Unhide an annotation (moderators: use the site's admin)"),
            "moderate": _route("PATCH", one + "/moderation", "Moderate an annotation (use the site's admin)"),
        },
        "search": _route("GET", root + "search", "Search for annotations"),
        "groups": {"read": _route("GET", root + "groups", "Fetch the groups of a document")},
        "group": {
            "read": _route("GET", root + "groups/:id", "Fetch a group"),
            "members": {"read": _route("GET", root + "groups/:id/members", "Fetch a group's members")},
            "member": {"delete": _route("DELETE", root + "groups/:pubid/members/:userid", "Leave a group")},
        },
        "profile": {
            "read": _route("GET", root + "profile", "Fetch the user's profile"),
            "update": _route("PATCH", root + "profile", "Update the user's preferences (not kept here)"),
            "groups": {"read": _route("GET", root + "profile/groups", "Fetch the user's groups")},
        },
        "links": _route("GET", root + "links", "URL templates for the site's pages"),
        "analytics": {"events": {"create": _route("POST", root + "analytics/events", "Not recorded here")}},
    }
    return _json({"links": links})


@api_view(("GET",))
def links(request: HttpRequest) -> JsonResponse:
    """Page links the sidebar shows; a missing key would stop it loading (``Unknown link``)."""
    site = base_url_of(request)
    return _json(
        {
            "account.settings": site + reverse("password_change"),
            "forgot-password": site + reverse("password_reset"),
            # no groups to create here: the one group is Public
            "groups.new": site + reverse("articles:article-list"),
            "help": site + reverse("articles:article-list"),
            "oauth.authorize": site + reverse("login"),
            "oauth.revoke": _api_url(request, "token"),
            "search.tag": site + reverse("annotations:search") + "?q=:tag",
            "signup": site + reverse("signup"),
            "user": site + reverse("annotations:author-detail", kwargs={"username": "USER"}).replace("USER", ":user"),
        }
    )


# --- tokens ----------------------------------------------------------------------------------------------------


@csrf_exempt
def token(request: HttpRequest) -> JsonResponse:
    """RFC 7523 grant (``assertion``) or refresh (``refresh_token``) → ``access_token``, ``refresh_token``."""
    if request.method != "POST":
        response = failure(405, "Use POST.")
        response["Allow"] = "POST"
        return response
    grant = request.POST.get("grant_type", "")
    try:
        if grant == tokens.JWT_BEARER:
            issued = tokens.exchange_grant(assertion=request.POST.get("assertion", ""))
        elif grant == "refresh_token":
            issued = tokens.refresh(refresh_token=request.POST.get("refresh_token", ""))
        else:
            return _oauth_error("unsupported_grant_type", f"Unsupported grant_type {grant[:80]!r}.")
    except tokens.TokenError as error:
        return _oauth_error(error.error, str(error))
    return _json(issued.as_json())


def _oauth_error(error: str, description: str) -> JsonResponse:
    # RFC 6749 §5.2, with h's "reason" too, so the sidebar can show it
    response = JsonResponse(
        {"error": error, "error_description": description, "status": "failure", "reason": description}, status=400
    )
    response["Cache-Control"] = "no-store"
    return response


# --- profile and groups ----------------------------------------------------------------------------------------


def _profile(request) -> dict:
    user = request.api_user
    return {
        "userid": tokens.userid(user),
        "authority": tokens.authority(),
        "preferences": {"show_sidebar_tutorial": False},
        "features": {},
        "user_info": {"display_name": presenters.display_name(user) if user else None},
    }


@api_view(("GET", "PATCH"))
def profile(request: HttpRequest) -> JsonResponse:
    """Who the token belongs to (``userid`` null without one); PATCH answers the profile unchanged (preferences are
    not kept here)."""
    if request.method == "PATCH" and not _signed_in(request):
        return failure(401, "Log in to change preferences.")
    return _json(_profile(request))


def _site_url(request) -> str:
    return base_url_of(request) + "/"


@api_view(("GET",))
def profile_groups(request: HttpRequest) -> JsonResponse:
    if not _signed_in(request):
        return _json([])
    return _json([presenters.public_group(site_url=_site_url(request))])


@api_view(("GET",))
def groups(request: HttpRequest) -> JsonResponse:
    return _json([presenters.public_group(site_url=_site_url(request))])


@api_view(("GET",))
def group_read(request: HttpRequest, group_id: str) -> JsonResponse:
    if group_id != presenters.PUBLIC_GROUP:
        return failure(404, "There is one group here, Public.")
    return _json(presenters.public_group(site_url=_site_url(request)))


@api_view(("GET",))
def group_members(request: HttpRequest, group_id: str) -> JsonResponse:
    return failure(404, "Group members are not listed here.")


@api_view(("DELETE",))
def group_member_delete(request: HttpRequest, group_id: str, member: str) -> JsonResponse:
    return failure(403, "Everyone is in the Public group; there is no other to leave.")


@api_view(("POST",))
def analytics_events(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


# --- annotations -----------------------------------------------------------------------------------------------


def _hosts(request) -> set[str]:
    hosts = {request.get_host().lower()}
    site = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].lower()
    if site:
        hosts.add(site)
    return hosts


def _article_of(request, uris: list[str]) -> Article | None:
    hosts = _hosts(request)
    for uri in uris:
        slug = article_slug_of_url(uri, hosts=hosts) if isinstance(uri, str) else None
        if slug:
            article = Article.objects.published().filter(slug=slug).first()
            if article is not None:
                return article
    return None


def _page_uri(request, article: Article) -> str:
    return base_url_of(request) + article.get_absolute_url()


def _present(request, annotation: Annotation, *, page: selectors.SearchPage | None = None) -> dict:
    """One annotation; without a search ``page``, its tags, references and flag are read here (a few queries)."""
    if page is None:
        page = selectors.SearchPage(total=1, rows=[annotation])
        page.tags[annotation.pk] = sorted(annotation.tags.values_list("name", flat=True))
        chain, current = [], annotation.parent_id
        while current is not None and current not in chain:
            chain.append(current)
            current = Annotation.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        page.references[annotation.pk] = list(reversed(chain))
        user = request.api_user
        if user is not None and Flag.objects.filter(annotation=annotation, reporter=user).exists():
            page.flagged.add(annotation.pk)
    article = annotation.article
    return presenters.annotation_json(
        annotation,
        page_uri=_page_uri(request, article),
        title=article.title,
        base_url=base_url_of(request),
        tags=page.tags.get(annotation.pk, []),
        references=page.references.get(annotation.pk, []),
        flagged=annotation.pk in page.flagged,
    )


def _int(value: str | None, default: int, *, low: int, high: int, what: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"'{what}' must be a whole number.") from None
    if not low <= number <= high:
        raise ValueError(f"'{what}' must be from {low} to {high}.")
    return number


@api_view(("GET",))
def search(request: HttpRequest) -> JsonResponse:
    """``uri`` (repeatable: any address of one of our articles), ``limit``, ``offset``, ``sort`` (created, updated),
    ``order``, ``search_after`` (the sort field's value of the last row seen), ``group``, ``user``."""
    params = request.GET
    try:
        limit = _int(params.get("limit"), selectors.DEFAULT_LIMIT, low=0, high=selectors.MAX_LIMIT, what="limit")
        offset = _int(params.get("offset"), 0, low=0, high=selectors.MAX_OFFSET, what="offset")
    except ValueError as exc:
        return failure(400, str(exc))
    sort = params.get("sort") or "updated"
    if sort not in selectors.SORT_FIELDS:
        return failure(400, "'sort' must be created or updated.")
    order = (params.get("order") or "desc").lower()
    if order not in ("asc", "desc"):
        return failure(400, "'order' must be asc or desc.")
    after = None
    if params.get("search_after"):
        after = parse_datetime(params["search_after"][:64])
        if after is None:
            return failure(400, "'search_after' must be the date of the last annotation seen (ISO 8601).")
        if after.tzinfo is None:
            after = after.replace(tzinfo=dt.UTC)
    username = None
    if params.get("user"):
        username = tokens.username_of(params["user"]) or ""
    article = _article_of(request, params.getlist("uri")[:10] + params.getlist("url")[:10])
    group = params.get("group")
    if article is None or (group and group != presenters.PUBLIC_GROUP):
        return _json({"total": 0, "rows": [], "replies": []})
    query = selectors.SearchQuery(
        limit=limit, offset=offset, sort=sort, descending=order == "desc", search_after=after, username=username
    )
    page = selectors.search(article=article, user=request.api_user, query=query)
    for row in page.rows:
        row.article = article  # the one article: no query per row
    rows = [_present(request, row, page=page) for row in page.rows]
    return _json({"total": page.total, "rows": rows, "replies": []})


def _readable(request, pk: int) -> Annotation | None:
    return (
        Annotation.objects.filter(
            selectors.visible_q(request.api_user), pk=pk, article__status=Article.Status.PUBLISHED
        )
        .select_related("author", "block", "article")
        .first()
    )


def _not_found(pk) -> JsonResponse:
    return failure(404, f"Either annotation {pk} does not exist or you are not allowed to see it.")


def _selection_of(data: dict) -> targets.Selection | None:
    target = data.get("target")
    if not isinstance(target, list) or len(target) != 1 or not isinstance(target[0], dict):
        raise targets.TargetError("An annotation here has one target: words in a paragraph of the article.")
    return targets.read_selection(target[0].get("selector", []))


def _visibility(data: dict, user) -> str:
    """``permissions.read`` naming the author alone (the client's "Only me") → private; else public."""
    permissions = data.get("permissions")
    readers = permissions.get("read") if isinstance(permissions, dict) else None
    if isinstance(readers, list) and readers and all(r == tokens.userid(user) for r in readers):
        return Annotation.Visibility.PRIVATE
    return Annotation.Visibility.PUBLIC


def _text_and_tags(data: dict) -> tuple[str, list[str]]:
    text, tags = data.get("text", ""), data.get("tags", [])
    if not isinstance(text, str):
        raise targets.TargetError("'text' must be a string.")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise targets.TargetError("'tags' must be a list of strings.")
    if not text.strip():
        raise targets.TargetError("Write a note: annotations without text (highlights) are not kept here.")
    return text, tags


@api_view(("POST",))
def annotation_create(request: HttpRequest) -> JsonResponse:
    user = request.api_user
    if user is None:
        return failure(401, "Log in to annotate.")
    data = _read_json(request)
    if isinstance(data, JsonResponse):
        return data
    refused = _limited(request, "annotate")
    if refused is not None:
        return refused
    if data.get("group", presenters.PUBLIC_GROUP) != presenters.PUBLIC_GROUP:
        return failure(400, "Annotations here go in the Public group.")
    references = data.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str | int) for r in references):
        return failure(400, "'references' must be a list of annotation ids.")
    target = data.get("target") if isinstance(data.get("target"), list) else []
    # the target's source names the page; the annotation's uri only when the target has none
    sources = [t.get("source") for t in target if isinstance(t, dict) and isinstance(t.get("source"), str)]
    article = _article_of(request, sources[:1] or [data.get("uri")])
    if article is None:
        return failure(
            400, "This server keeps annotations on its own published articles only; this page is not one of them."
        )
    if references:
        return _create_reply(request, data, article=article, parent=str(references[-1]))

    def write() -> int:
        text, tags = _text_and_tags(data)
        selection = _selection_of(data)
        if selection is None:
            raise targets.TargetError("Select words in a paragraph to annotate them: page notes are not kept here.")
        with transaction.atomic():
            paragraphs = [
                targets.Paragraph(key=block.key, text=block.text)
                for block in article.blocks.current().exclude(kind="image").only("key", "text")
            ]
            located = targets.locate(paragraphs, selection)
            created = services.create_annotation(
                author=user,
                article=article,
                block_key=located.key,
                kind=Annotation.Kind.NOTE,
                body=text,
                tags=tags,
                visibility=_visibility(data, user),
                quote=services.QuoteInput(exact=located.exact, start=located.start, end=located.end),
            )
        return created.pk

    return _answer(request, write)


def _answer(request, write) -> JsonResponse:
    """Run ``write()`` (a write through the services, returning the annotation's id) and answer as h does: the
    annotation as stored, or ``{"status": "failure", "reason": …}`` with a 4xx and nothing written."""
    try:
        pk = write()
    except targets.TargetError as exc:
        return failure(400, str(exc))
    except ValidationError as exc:
        return failure(400, _reason(exc))
    except PermissionDenied as exc:
        return failure(403, str(exc) or "Not allowed.")
    annotation = Annotation.objects.select_related("author", "block", "article").get(pk=pk)
    return _json(_present(request, annotation))


def _create_reply(request, data: dict, *, article: Article, parent: str) -> JsonResponse:
    """A reply (``references``: its thread, the last its parent) through ``create_reply``: a public note on its
    parent's paragraph, moderated like any other."""
    user = request.api_user
    if not parent.isdigit():
        return failure(400, "'references' must name annotations of this site.")
    if _visibility(data, user) == Annotation.Visibility.PRIVATE:
        return failure(400, "Replies here are public: post it to Public.")

    def write() -> int:
        text, tags = _text_and_tags(data)
        with transaction.atomic():
            if not Annotation.objects.filter(pk=int(parent), article=article).exists():
                raise ValidationError({"parent": ["You can only reply to a published annotation of this article."]})
            return services.create_reply(author=user, parent=int(parent), body=text, tags=tags).pk

    return _answer(request, write)


@api_view(("GET", "PATCH", "PUT", "DELETE"))
def annotation_detail(request: HttpRequest, pk: int) -> JsonResponse:
    if request.method in ("GET", "HEAD"):
        annotation = _readable(request, pk)
        return _not_found(pk) if annotation is None else _json(_present(request, annotation))
    user = request.api_user
    if user is None:
        return failure(401, "Log in to change annotations.")
    annotation = _readable(request, pk)
    if annotation is None:
        return _not_found(pk)
    if annotation.author_id != user.pk:
        return failure(403, "Only the author can change this annotation.")
    if annotation.is_fact_check:
        return failure(403, "Fact-checks are edited on the site, with the fact-check form.")
    if request.method == "DELETE":
        return _delete(request, annotation)
    return _update(request, annotation)


def _update(request, annotation: Annotation) -> JsonResponse:
    data = _read_json(request)
    if isinstance(data, JsonResponse):
        return data
    refused = _limited(request, "edit")
    if refused is not None:
        return refused

    def write() -> int:
        text, tags = _text_and_tags(data)
        services.update_annotation(
            actor=request.api_user,
            annotation=annotation,
            body=text,
            tags=tags,
            visibility=_visibility(data, request.api_user),
        )
        return annotation.pk

    return _answer(request, write)


def _delete(request, annotation: Annotation) -> JsonResponse:
    refused = _limited(request, "edit")
    if refused is not None:
        return refused
    try:
        services.delete_annotation(actor=request.api_user, annotation=annotation)
    except PermissionDenied as exc:
        return failure(403, str(exc) or "Not allowed.")
    except RestrictedError:
        return failure(409, "This annotation has replies, so it stays: edit it instead.")
    return _json({"id": str(annotation.pk), "deleted": True})


@api_view(("PUT",))
def annotation_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """A reader's flag (reason "other": the client sends none), for the moderators' queue. 204, as h."""
    user = request.api_user
    if user is None:
        return failure(401, "Log in to flag annotations.")
    annotation = _readable(request, pk)
    if annotation is None:
        return _not_found(pk)
    refused = _limited(request, "flag")
    if refused is not None:
        return refused
    try:
        moderation.flag_annotation(
            annotation=annotation,
            reporter=user,
            reason=Flag.Reason.OTHER,
            text="Reported from the Hypothesis sidebar.",
        )
    except ValidationError as exc:
        return failure(400, _reason(exc))
    except PermissionDenied as exc:
        return failure(403, str(exc) or "Not allowed.")
    return HttpResponse(status=204)


@api_view(("PUT", "DELETE"))
def annotation_hide(request: HttpRequest, pk: int) -> JsonResponse:
    return failure(403, "Moderators hide annotations in the site's admin.")


@api_view(("PATCH",))
def annotation_moderate(request: HttpRequest, pk: int) -> JsonResponse:
    return failure(403, "Moderators decide in the site's admin.")
