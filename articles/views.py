from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles import selectors
from articles.revisions import text_at


@require_safe
def article_list(request):
    articles = selectors.article_list(user=request.user)
    return render(request, "articles/article_list.html", {"articles": articles})


@require_safe
def article_revision(request, slug: str, number: int):
    """The article's text as it read in revision ``number``: what annotations made on it refer to (2 queries)."""
    article = selectors.article_for_reading(slug=slug, user=request.user)
    revisions = list(article.revisions.filter(number__lte=number).order_by("number"))
    if not revisions or revisions[-1].number != number:
        raise Http404("No such revision of this article.")
    latest = article.revisions.order_by("-number").values_list("number", flat=True).first()
    return render(
        request,
        "articles/article_revision.html",
        {"article": article, "revision": revisions[-1], "blocks": text_at(revisions), "is_latest": latest == number},
    )
