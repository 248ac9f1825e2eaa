"""Reads for the article page about revisions: the corrections note."""

from __future__ import annotations

from articles.models import Article, ArticleRevision


def revision_notes(*, article: Article) -> list[ArticleRevision]:
    """The article's revisions after its first text, newest first, for the readers' corrections note (1 query)."""
    return list(article.revisions.exclude(source=ArticleRevision.Origin.INITIAL).order_by("-number"))
