"""Search across article text and annotations (bodies, quotes, claims, tags), replies included.

On PostgreSQL: full-text search (websearch syntax). Annotations match through the GIN index
``annotation_search_idx`` (``annotation_search_vector() @@ query``) or through a tag whose name is one of the
query's words (the tag's rows, then their annotations by primary key): one ``id IN (text matches UNION tag
matches)``, so only the matches are read; of a very common word, the newest ``RANKED`` text matches (and as
many tag matches) are kept, filtered by the readers' rule and ranked (``ts_rank``; tag-only matches rank 0),
best first, then newest. Before (issue 17), every annotation's vector was computed and ranked and tags were joined to every
annotation: about 4 s a search at 105k annotations, 40 s at 1M. On SQLite: every word must occur
(case-insensitive) in the text or be a tag's name, newest first. Only published articles and what readers may
see (``Annotation.objects.readable()``) are searched.

Results come a page at a time (``PAGE_SIZE`` of each kind, ``page`` from 1 to ``MAX_PAGE``); one more row is read
to know whether a next page exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q

from annotations.models import SEARCH_CONFIG, Annotation, TaggedAnnotation, annotation_search_vector
from articles.fulltext import block_search_vector
from articles.models import Block

MAX_QUERY_LENGTH = 200
PAGE_SIZE = 50
MAX_RESULTS = PAGE_SIZE  # kept for callers: one page of each kind
MAX_PAGE = 20  # a bounded depth: past 1,000 results of a kind, a reader should refine the words
RANKED = MAX_PAGE * PAGE_SIZE  # PostgreSQL: the newest this many text (and tag) matches are ranked


@dataclass
class SearchResults:
    query: str
    paragraphs: list[Block]
    annotations: list[Annotation]
    engine: str
    page: int = 1
    has_more: bool = False

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_more else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def _words(query: str) -> list[str]:
    return [w for w in query.split() if w][:12]


def _page(queryset, page: int) -> tuple[list, bool]:
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def search(query: str, page: int = 1) -> SearchResults:
    """Paragraphs and annotations matching ``query``, page ``page`` (two queries plus two prefetches)."""
    query = " ".join(query.split())
    page = min(max(page, 1), MAX_PAGE)
    if not query:
        return SearchResults(query, [], [], "none", page)
    blocks = (
        Block.objects.readable().filter(kind__in=[Block.Kind.PARAGRAPH, Block.Kind.HEADING]).select_related("article")
    )
    annotations = (
        Annotation.objects.readable().select_related("article", "block", "author").prefetch_related("tags", "evidence")
    )
    tag_names = [w.lower() for w in _words(query)]
    if connection.vendor == "postgresql":
        q = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # the paragraphs' matches from the GIN index block_search_idx (its expression is block_search_vector())
        blocks = (
            blocks.annotate(search=block_search_vector())
            .filter(search=q)
            .annotate(rank=SearchRank(block_search_vector(), q))
            .order_by("-rank", "article_id", "position")
        )
        # the text matches from the GIN index, the tag matches from the tag's rows: never a scan of the table.
        # Ranking needs each match's vector, computed again per row (the index holds only its lexemes), so each
        # side keeps its newest RANKED matches (by id, the order of writing) and only those are checked against
        # the readers' rule and ranked: a word on every tenth annotation costs what a thousand matches cost
        # (ordered by ``id + 0``: by ``id`` itself PostgreSQL may walk the primary key backwards, computing the
        # vector of every row it passes until it has RANKED matches, instead of reading the matches from the index;
        # the tags' side likewise walked every tagged row for a word that is no tag: 0.5 s at 1M)
        text_matches = (
            Annotation.objects.annotate(search=annotation_search_vector(), newest=F("pk") + 0)
            .filter(search=q)
            .order_by("-newest")
            .values("pk")[:RANKED]
        )
        tag_matches = (
            TaggedAnnotation.objects.filter(tag__name__in=tag_names)
            .annotate(newest=F("content_object_id") + 0)
            .order_by("-newest")
            .values("content_object_id")[:RANKED]
        )
        annotations = (
            annotations.filter(pk__in=text_matches.union(tag_matches))
            .annotate(rank=SearchRank(annotation_search_vector(), q))
            .order_by("-rank", "-created_at", "-id")
        )
        engine = "postgresql"
    else:
        for word in _words(query):
            blocks = blocks.filter(text__icontains=word)
            annotations = annotations.filter(
                Q(body__icontains=word)
                | Q(quote__icontains=word)
                | Q(claim__icontains=word)
                | Q(pk__in=TaggedAnnotation.objects.filter(tag__name__iexact=word).values("content_object_id"))
            )
        blocks = blocks.order_by("article_id", "position")
        annotations = annotations.order_by("-created_at", "-id")
        engine = "simple"
    paragraphs, more_paragraphs = _page(blocks, page)
    found, more_annotations = _page(annotations, page)
    has_more = (more_paragraphs or more_annotations) and page < MAX_PAGE
    return SearchResults(query, paragraphs, found, engine, page, has_more)
