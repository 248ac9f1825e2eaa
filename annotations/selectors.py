"""Reads of annotations for the public pages, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from articles.models import Article, Block

from .models import Annotation, Tag


@dataclass
class Segment:
    text: str
    annotation_ids: tuple[int, ...] = ()
    ends: tuple[Annotation, ...] = ()  # annotations whose quote ends with this segment


@dataclass
class BlockView:
    block: Block
    annotations: list[Annotation] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.annotations)


def highlight_segments(text: str, annotations: list[Annotation]) -> list[Segment]:
    """Split text into runs, each with the annotations whose quote covers it.

    Overlapping quotes are handled by cutting at every quote boundary.
    """
    quoted = [a for a in annotations if a.quote and a.quote_start is not None and a.quote_end <= len(text)]
    if not quoted:
        return [Segment(text)]
    cuts = sorted({0, len(text)} | {a.quote_start for a in quoted} | {a.quote_end for a in quoted})
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = tuple(a.pk for a in quoted if a.quote_start <= start and end <= a.quote_end)
        ending = tuple(a for a in quoted if a.quote_end == end)
        segments.append(Segment(text[start:end], covering, ending))
    return segments


def blocks_with_annotations(*, article: Article, user) -> list[BlockView]:
    """The article's current blocks, each with the annotations ``user`` may see.

    Queries: blocks (1), annotations with author and block (1), their tags (1),
    their evidence (1) — whatever the number of paragraphs or annotations.
    """
    blocks = list(article.blocks.current())
    annotations = list(
        Annotation.objects.visible_to(user)
        .filter(article=article, block__removed_at__isnull=True)
        .select_related("author")
        .prefetch_related("tags", "evidence")
        .order_by("block__position", "quote_start", "created_at", "pk")
    )
    by_block: dict[int, list[Annotation]] = defaultdict(list)
    for number, annotation in enumerate(annotations, start=1):
        annotation.number = number
        annotation.article = article
        by_block[annotation.block_id].append(annotation)
    views = []
    for block in blocks:
        mine = by_block.get(block.pk, [])
        for annotation in mine:
            annotation.block = block
        views.append(BlockView(block, mine, highlight_segments(block.text, mine)))
    return views


def tag_suggestions(limit: int = 200) -> list[str]:
    """Existing tag names for the form's datalist, most used first (1 query)."""
    from django.db.models import Count

    return list(
        Tag.objects.annotate(n=Count("tagged_annotations")).order_by("-n", "name").values_list("name", flat=True)[:limit]
    )
