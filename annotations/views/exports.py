"""Exports of a published article's public annotations for people: Markdown."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from annotations.caching import article_cached_response
from annotations.exports.links import base_url_of
from annotations.exports.markdown import article_markdown as render_markdown
from annotations.selectors.article import article_annotations
from articles.models import Article


@require_safe
def article_markdown(request, slug: str) -> HttpResponse:
    """``/articles/<slug>/export.md``: the annotated article as Markdown (published articles only).

    Everyone, staff included, gets what an anonymous reader sees: approved,
    public annotations, those that lost their place in the text marked as such. Queries: the article's
    id (1); when not cached for the article's version, the article with its source, then the selector's
    blocks, annotations with authors, tags, evidence (5 more) — whatever the size of the article.
    """
    article_id = Article.objects.published().filter(slug=slug).values_list("pk", flat=True).first()
    if article_id is None:
        raise Http404("No such article.")
    # the same for every reader: kept under the article's version (a warm request is that one query)
    return article_cached_response(
        request, kind="markdown", article_id=article_id, render=lambda: _render_markdown(request, article_id)
    )


def _render_markdown(request, article_id: int) -> HttpResponse:
    article = Article.objects.select_related("source").get(pk=article_id)
    block_views, earlier = article_annotations(article=article, user=AnonymousUser())
    text = render_markdown(article=article, block_views=block_views, earlier=earlier, base_url=base_url_of(request))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    # The slug is [-a-zA-Z0-9_]+ (the URL pattern), so it is safe in the header.
    response["Content-Disposition"] = f'inline; filename="{article.slug}.md"'
    return response
