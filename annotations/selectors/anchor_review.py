"""The moderation queue's "text changed" section: annotations a revision sent to a moderator, each with the
words it was written on, the words the text now has where it would go, and their word diff.

Queries: their ids (1; nothing more when there are none), the annotations with their article, paragraph,
author and revisions (1), the current paragraphs of their articles (1), the recorded revisions of those
articles (1) — whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.safestring import SafeString

from annotations.anchoring.search import Match, Paragraph, suggest
from annotations.models import Annotation
from articles.models import ArticleRevision, Block
from articles.revisions import text_at, word_diff_html

REVIEW_PAGE_SIZE = 50


@dataclass
class ReviewItem:
    annotation: Annotation
    before: str  # the words it was written on (its quote, or its paragraph then)
    after: str  # the words the text has now where it would go ("" when nothing is proposed)
    diff: SafeString  # before -> after, word by word (escaped; only <del>/<ins> added)
    candidate: Match | None  # where "confirm still valid" places it; None: nothing to confirm, re-attach or detach
    whole_paragraph: bool


def anchor_review_items(*, limit: int = REVIEW_PAGE_SIZE) -> list[ReviewItem]:
    """Annotations needing a moderator after a revision (``needs_anchor_review``), oldest first.

    Usually there are none, and the queue asks on every load: their ids first (one small query on
    ``annotation_anchor_review_idx``), then the rows with all that the section shows only when there are some
    (the six-table join took 2-3 ms to plan and about as long to compile, for nothing, on each load).
    """
    ids = list(
        Annotation.objects.needs_anchor_review().order_by("created_at", "pk").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    annotations = list(
        Annotation.objects.filter(pk__in=ids)
        .select_related("article", "block", "author", "original_revision", "anchored_revision")
        .order_by("created_at", "pk")
    )
    article_ids = {a.article_id for a in annotations}
    paragraphs: dict[int, list[Block]] = defaultdict(list)
    for block in (
        Block.objects.filter(article_id__in=article_ids, removed_at__isnull=True)
        .exclude(kind=Block.Kind.IMAGE)
        .order_by("article_id", "position")
    ):
        paragraphs[block.article_id].append(block)
    revisions: dict[int, list[ArticleRevision]] = defaultdict(list)
    for revision in ArticleRevision.objects.filter(article_id__in=article_ids).order_by("article_id", "number"):
        revisions[revision.article_id].append(revision)
    return [_item(a, paragraphs[a.article_id], revisions[a.article_id]) for a in annotations]


def _item(annotation: Annotation, blocks: list[Block], revisions: list[ArticleRevision]) -> ReviewItem:
    words = annotation.original_quote or annotation.quote
    if words:
        found = suggest(
            quote=words,
            prefix=annotation.quote_prefix,
            suffix=annotation.quote_suffix,
            paragraphs=[Paragraph(b.key, b.text) for b in blocks],
            limit=1,
        )
        candidate = found[0] if found else None
        after = candidate.text if candidate else ""
        return ReviewItem(annotation, words, after, word_diff_html(words, after), candidate, whole_paragraph=False)
    # a whole-paragraph annotation: its paragraph as it read then, and as it reads now (if it is still there)
    then = _paragraph_then(annotation, revisions)
    now = next((b for b in blocks if b.pk == annotation.block_id), None)
    candidate = Match(now.key, 0, len(now.text), now.text, 0.0) if now is not None else None
    after = now.text if now is not None else ""
    return ReviewItem(annotation, then, after, word_diff_html(then, after), candidate, whole_paragraph=True)


def _paragraph_then(annotation: Annotation, revisions: list[ArticleRevision]) -> str:
    written_on = annotation.anchored_revision or annotation.original_revision
    if written_on is None:
        return annotation.block.text
    upto = [r for r in revisions if r.number <= written_on.number]
    return next((b.text for b in text_at(upto) if b.key == annotation.block.key), annotation.block.text)
