"""The article page: the annotated version, with views, filters and the fact-check summary.

The expensive part (blocks with the approved public annotations, the
summary and the filter options) is rendered once per article, view, filter
and audience ("anonymous" or "member") and cached under a key that includes
the article's version (bumped by every change through the services), so it
is never stale. Nothing per-user is in a cached fragment: people who have
written annotations on the article (their pending and private ones, their
edit links) get a page rendered for them alone.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.text import visible_control_characters
from annotations.caching import article_version
from annotations.models import Annotation
from annotations.selectors.compare import compare_article, is_editor
from annotations.selectors.reading import ReadingFilterForm, read_article
from annotations.selectors.revisions import revision_notes
from articles.selectors import article_for_reading

FRAGMENT_TIMEOUT = 24 * 3600


def _fragment_key(article, version: int, view: str, filters: dict[str, str], audience: str) -> str:
    source = getattr(article, "source", None)
    parts = [
        str(article.pk),
        str(version),
        article.updated_at.isoformat(),
        source.updated_at.isoformat() if source else "-",
        view,
        urlencode(sorted(filters.items())),
        audience,
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"article-body:{article.pk}:{digest}"


@require_safe
def article_detail(request, slug: str, *, extra_context: dict | None = None):
    """``extra_context``: for the page around the article (the Hypothesis option, ``hypothesis_api.views.article``)."""
    article = article_for_reading(slug=slug, user=request.user)
    form = ReadingFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        errors = visible_control_characters(errors)  # Django's messages echo the value sent
        return render(request, "articles/article_bad_filter.html", {"article": article, "errors": errors}, status=400)
    data = form.cleaned_data if request.GET else {}
    view = data.get("view") or ""
    filters = form.active() if request.GET else {}

    user = request.user
    personal = user.is_authenticated and Annotation.objects.filter(article=article, author=user).exists()
    audience = "member" if user.is_authenticated else "anonymous"
    if getattr(article, "original", None) is not None and is_editor(user):
        audience = "editor"  # may read an original that its rights keep from readers (issue 19)
    version = article_version(article.pk)
    key = None if personal or not article.is_published else _fragment_key(article, version, view, filters, audience)
    cached = cache.get(key) if key else None
    if cached is None:
        reading = read_article(article=article, user=user, view=view, filters=filters)
        comparison = compare_article(article=article, user=user, block_views=reading.block_views)
        body = render_to_string(
            "articles/_article_main.html",
            {
                "article": article,
                "reading": reading,
                "block_views": reading.block_views,
                "earlier_wording": reading.earlier,
                "revisions": revision_notes(article=article),
                "comparison": comparison,
                "user": user,
                "request": request,
            },
        )
        cached = {"body": body, "view": reading.view, "total": reading.total_public}
        if key:
            cache.set(key, cached, FRAGMENT_TIMEOUT)
    response = render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "article_main": cached["body"],
            "view": cached["view"],
            "annotation_total": cached["total"],
            "filters": filters,
            **(extra_context or {}),
        },
    )
    if key and not user.is_authenticated:
        # rendered for nobody in particular (no CSRF token, no name): the whole page may be shared with
        # every reader without a session (annotations.page_cache), under this version of the article
        response.anonymous_page = (article.pk, version)
    return _with_service_link(request, article, response)


def _with_service_link(request, article, response: HttpResponse) -> HttpResponse:
    service = request.build_absolute_uri(f"/articles/{article.slug}/annotations/")
    response["Link"] = f'<{service}>; rel="http://www.w3.org/ns/oa#annotationService"'
    return response
