"""Reads of articles for the public pages, each in a fixed number of queries."""

from __future__ import annotations

from django.http import Http404

from .models import Article


def article_list(*, user) -> list[Article]:
    """Articles the user may see, newest first, with their source details (1 query)."""
    return list(Article.objects.visible_to(user).select_related("source").order_by("-published_on", "-created_at"))


def article_for_reading(*, slug: str, user) -> Article:
    """One article with its source (1 query); 404 for drafts unless staff."""
    article = Article.objects.visible_to(user).select_related("source").filter(slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    return article
