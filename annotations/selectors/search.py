"""Search across article text and annotations (bodies, quotes, claims, tags).

On PostgreSQL: full-text search (websearch syntax) ranked with ts_rank; on
SQLite: every word must occur (case-insensitive), newest first. Only
published articles and approved public annotations are searched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q

from annotations.models import Annotation
from articles.models import Block

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 50


@dataclass
class SearchResults:
    query: str
    paragraphs: list[Block]
    annotations: list[Annotation]
    engine: str


def _words(query: str) -> list[str]:
    return [w for w in query.split() if w][:12]


def search(query: str) -> SearchResults:
    """Paragraphs and annotations matching ``query`` (two queries plus prefetches)."""
    query = " ".join(query.split())
    if not query:
        return SearchResults(query, [], [], "none")
    blocks = (
        Block.objects.readable().filter(kind__in=[Block.Kind.PARAGRAPH, Block.Kind.HEADING]).select_related("article")
    )
    annotations = (
        Annotation.objects.readable().select_related("article", "block", "author").prefetch_related("tags", "evidence")
    )
    if connection.vendor == "postgresql":
        q = SearchQuery(query, search_type="websearch", config="english")
        blocks = (
            blocks.annotate(rank=SearchRank(SearchVector("text", config="english"), q))
            .filter(rank__gt=0)
            .order_by("-rank", "article_id", "position")
        )
        vector = (
            SearchVector("body", weight="A", config="english")
            + SearchVector("quote", weight="B", config="english")
            + SearchVector("claim", weight="B", config="english")
        )
        tag_match = Q(tags__name__in=[w.lower() for w in _words(query)])
        annotations = (
            annotations.annotate(rank=SearchRank(vector, q))
            .filter(Q(rank__gt=0) | tag_match)
            .distinct()
            .order_by("-rank", "-created_at")
        )
        engine = "postgresql"
    else:
        for word in _words(query):
            blocks = blocks.filter(text__icontains=word)
            annotations = annotations.filter(
                Q(body__icontains=word)
                | Q(quote__icontains=word)
                | Q(claim__icontains=word)
                | Q(tags__name__iexact=word)
            )
        blocks = blocks.order_by("article_id", "position")
        annotations = annotations.distinct().order_by("-created_at")
        engine = "simple"
    return SearchResults(query, list(blocks[:MAX_RESULTS]), list(annotations[:MAX_RESULTS]), engine)
