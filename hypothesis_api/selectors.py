"""The sidebar's reads: an article's annotations as the client's search asks for them.

``search`` returns one page of what the reader may see on the article (approved public annotations, plus the
reader's own in any state) in a fixed number of queries whatever the page holds: the count, the page (with author
and paragraph), its tags, and when needed the reply chains and the reader's flags (see ``SEARCH_QUERIES``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from annotations.models import Annotation, Flag, TaggedAnnotation, readable_q
from articles.models import Article

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
MAX_OFFSET = 9800  # as h: deeper pages go by search_after


@dataclass(frozen=True)
class SearchQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str = "created"  # created | updated
    descending: bool = True
    search_after: dt.datetime | None = None
    username: str | None = None  # only this author's


@dataclass
class SearchPage:
    total: int
    rows: list[Annotation]
    tags: dict[int, list[str]] = field(default_factory=dict)
    references: dict[int, list[int]] = field(default_factory=dict)
    flagged: set[int] = field(default_factory=set)


SORT_FIELDS = {"created": "created_at", "updated": "updated_at"}


def visible_q(user) -> Q:
    """What the sidebar shows a reader: what every reader may see (``readable_q``: approved, public, in a thread
    readers see, not a deleted placeholder), plus the reader's own in any state."""
    if user is not None and user.is_authenticated:
        return readable_q() | Q(author=user, deleted_at__isnull=True)
    return readable_q()


def search(*, article: Article, user, query: SearchQuery) -> SearchPage:
    """Queries: 3 (count, page, tags), +1 when a row is a reply (the article's reply edges), +1 for a signed-in
    reader (their flags on the page)."""
    visible = Annotation.objects.filter(visible_q(user), article=article)
    if query.username is not None:
        visible = visible.filter(author__username=query.username)
    total = visible.count()
    column = SORT_FIELDS[query.sort]
    if query.search_after is not None:
        visible = visible.filter(**{f"{column}__{'lt' if query.descending else 'gt'}": query.search_after})
    order = [f"-{column}", "-pk"] if query.descending else [column, "pk"]
    rows = list(visible.select_related("author", "block").order_by(*order)[query.offset : query.offset + query.limit])
    page = SearchPage(total=total, rows=rows)
    ids = [row.pk for row in rows]
    if not ids:
        return page
    for tagged in (
        TaggedAnnotation.objects.filter(content_object_id__in=ids).select_related("tag").order_by("tag__name")
    ):
        page.tags.setdefault(tagged.content_object_id, []).append(tagged.tag.name)
    if any(row.parent_id for row in rows):
        parents = dict(Annotation.objects.filter(article=article, parent__isnull=False).values_list("pk", "parent_id"))
        for row in rows:
            chain, current = [], row.parent_id
            while current is not None and current not in chain:
                chain.append(current)
                current = parents.get(current)
            page.references[row.pk] = list(reversed(chain))
    if user is not None and user.is_authenticated:
        page.flagged = set(
            Flag.objects.filter(Q(annotation_id__in=ids), reporter=user).values_list("annotation_id", flat=True)
        )
    return page
