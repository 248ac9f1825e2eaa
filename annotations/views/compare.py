"""The alignment of a copy with its original as a W3C AnnotationCollection (``/articles/<slug>/alignment/``,
issue 19): read-only JSON-LD, as an anonymous reader may read the original (its rights)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse

from annotations.exports import alignment
from annotations.exports.links import base_url_of
from annotations.selectors.article import BlockView
from annotations.selectors.compare import compare_article
from annotations.views.w3c import jsonld_response, problem, read_only
from articles.selectors import article_for_reading


@read_only
def article_alignment(request: HttpRequest, slug: str) -> HttpResponse:
    """The collection (page 1 embedded), or ``?page=1`` alone. Queries: the article, its blocks, and with an
    original its blocks, the corrections (and the fact-checks' excerpts for an ``excerpts`` original)."""
    try:
        article = article_for_reading(slug=slug, user=AnonymousUser())
    except Http404:
        return problem(404, "Not Found", "No such article.")
    page = request.GET.get("page")
    if page not in (None, "1") or len(request.GET.getlist("page")) > 1:
        return problem(404 if page and page.isdigit() else 400, "Bad page", "This collection has one page: ?page=1.")
    views = [BlockView(block=b) for b in article.blocks.current()]
    comparison = compare_article(article=article, user=AnonymousUser(), block_views=views)
    base_url = base_url_of(request)
    if page:
        data = alignment.page_to_jsonld(article, comparison, base_url=base_url)
    else:
        data = alignment.collection_to_jsonld(article, comparison, base_url=base_url)
    return jsonld_response(request, data, links='<http://www.w3.org/ns/oa#AnnotationCollection>; rel="type"')
