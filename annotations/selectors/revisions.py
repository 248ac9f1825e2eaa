"""Reads for the article page about revisions: notes on earlier wording, and the corrections note."""

from __future__ import annotations

from annotations.models import Annotation
from articles.models import Article, ArticleRevision


def orphaned_annotations(*, article: Article, user) -> list[Annotation]:
    """Annotations ``user`` may see that no longer have a place in the article's text, oldest first.

    Orphans (their text was removed) and annotations waiting for a moderator
    to re-anchor them, each with its author, paragraph (its last text), the
    revision it was written on, tags and evidence. Queries: annotations with
    their joins (1), tags (1), evidence (1), whatever their number.
    """
    annotations = list(
        Annotation.objects.visible_to(user)
        .filter(article=article)
        .detached()
        .select_related("author", "block", "original_revision", "anchored_revision")
        .prefetch_related("tags", "evidence")
        .order_by("created_at", "pk")
    )
    for annotation in annotations:
        annotation.article = article
    return annotations


def revision_notes(*, article: Article) -> list[ArticleRevision]:
    """The article's revisions after its first text, newest first, for the readers' corrections note (1 query)."""
    return list(article.revisions.exclude(source=ArticleRevision.Origin.INITIAL).order_by("-number"))
