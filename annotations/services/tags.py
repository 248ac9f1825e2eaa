"""Writes to tags: an editor's rename or deletion, which every article page showing the tag must reflect."""

from __future__ import annotations

from django.db import transaction

from annotations.caching import bump_article
from annotations.models import Annotation, Tag


def _bump_articles_with_tag(tag: Tag) -> None:
    for article_id in Annotation.objects.filter(tags=tag).order_by().values_list("article_id", flat=True).distinct():
        bump_article(article_id)


@transaction.atomic
def save_tag(*, tag: Tag) -> Tag:
    """Save a tag an editor changed (a rename, say) and refresh every article page that shows it."""
    tag.save()
    _bump_articles_with_tag(tag)
    return tag


@transaction.atomic
def delete_tag(*, tag: Tag) -> None:
    """Delete a tag everywhere; the article pages that showed it are refreshed."""
    _bump_articles_with_tag(tag)
    tag.delete()
