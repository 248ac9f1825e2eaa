"""Reads of annotations for the public pages, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, F, Func, Q

from annotations.models import Annotation, Evidence, Tag, TaggedAnnotation, placed_q, readable_q
from annotations.selectors.threads import build_threads
from articles.keys import successors
from articles.models import Article, Block


class _AnyOf(Func):
    """``column = ANY(ARRAY(subquery))`` (PostgreSQL)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def of_annotations(queryset, relation: str, **where):
    """The rows of ``queryset`` (tags, evidence) whose ``relation`` (a foreign key to Annotation) is one of the
    annotations ``where`` selects (``article=…``, ``block=…``), read through that key's index whatever the size
    of the site.

    As a join (``relation__article=article``) PostgreSQL's planner, which sees only the estimated share of the
    article in the site, hashes the article's annotations and reads the whole tag or evidence table past them
    (a sequential scan, or a merge join along the annotations' primary key): at 1M annotations 260 ms for the
    tags and 870 ms for the evidence of a 5,000-annotation article, growing with the site. The ids as an array
    the planner cannot see into (an InitPlan, ``= ANY($0)``) make it probe the index once per id: 20 ms and
    11 ms, flat (bench/article_scale.py; tests/annotations/test_article_scale.py). SQLite plans the join
    through the index already."""
    if connection.vendor == "postgresql":
        ids = ArraySubquery(Annotation.objects.filter(**where).values("pk"))
        return queryset.filter(_AnyOf(F(f"{relation}_id"), ids))
    return queryset.filter(**{f"{relation}__{name}": value for name, value in where.items()})


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
    old_keys: list[str] = field(default_factory=list)  # keys of removed paragraphs whose text is now here
    total: int | None = None  # annotations that belong beside it when ``annotations`` holds only the first few

    @property
    def count(self) -> int:
        return len(self.annotations) if self.total is None else self.total

    @property
    def hidden(self) -> int:
        """How many of ``count`` are not in ``annotations`` (they are on the paragraph's own page)."""
        return self.count - len(self.annotations)


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


def attach_evidence(annotations: list[Annotation], *, evidence=None) -> None:
    """Give each of ``annotations`` its ``evidence_list`` (1 query, none for an empty list).

    The article page loads evidence only for the cards it shows: with thousands
    of fact-checks, the evidence of the rest is the part of the read that grows.
    ``evidence`` may say where to read it from instead of the list of ids (``of_annotations``, for a
    paragraph's: a few hundred literal ids let PostgreSQL's planner prefer reading the whole evidence table).
    """
    if not annotations:
        return
    if evidence is None:
        evidence = Evidence.objects.filter(annotation__in=[a.pk for a in annotations])
    found: dict[int, list[Evidence]] = defaultdict(list)
    for item in evidence.order_by("annotation_id", "position", "pk"):
        found[item.annotation_id].append(item)
    for annotation in annotations:
        annotation.evidence_list = found.get(annotation.pk, [])


def _attach_authors_and_tags(annotations: list[Annotation], tagged) -> None:
    """Authors (1 query) and tags (``tagged``: a TaggedAnnotation queryset covering them, 1 query), shared objects."""
    by_pk = {a.pk: a for a in annotations}
    User = Annotation._meta.get_field("author").related_model
    author_ids = {a.author_id for a in annotations if a.author_id}
    authors = User.objects.in_bulk(author_ids) if author_ids else {}
    tags: dict[int, Tag] = {}
    tag_lists: dict[int, list[Tag]] = defaultdict(list)
    if annotations:
        rows = tagged.order_by("pk").values_list("content_object_id", "tag_id", "tag__name", "tag__slug")
        for annotation_id, tag_id, name, slug in rows:
            if annotation_id in by_pk:
                tag = tags.get(tag_id) or tags.setdefault(tag_id, Tag(pk=tag_id, name=name, slug=slug))
                tag_lists[annotation_id].append(tag)
    for annotation in annotations:
        annotation.author = authors.get(annotation.author_id)
        annotation.tag_objects = tag_lists.get(annotation.pk, [])


def paragraph_annotations(*, article: Article, block: Block, user) -> BlockView:
    """One current paragraph with every annotation ``user`` may see beside it, numbered as on the article page.

    Each annotation has its thread of replies (``annotations.selectors.threads``), read with them.

    Queries: the annotations and their replies with their revision (1), the
    number of those before this paragraph (1, a count), their authors (1),
    tags (1) and evidence (1): the same five whatever the paragraph or the
    article holds.
    """
    rows = list(
        Annotation.objects.visible_to(user)
        .filter(article=article, block=block)
        .filter(Q(parent__isnull=False) | placed_q())
        .select_related("original_revision")
        .order_by("quote_start", "created_at", "pk")
    )
    replies = [a for a in rows if a.parent_id is not None]
    annotations = build_threads([a for a in rows if a.parent_id is None], replies)
    before = 0
    if annotations:
        before = (
            Annotation.objects.visible_to(user)
            .top_level()
            .filter(article=article, block__position__lt=block.position)
            .filter(placed_q())
            .count()
        )
    _attach_authors_and_tags(rows, of_annotations(TaggedAnnotation.objects, "content_object", block=block))
    attach_evidence(rows, evidence=of_annotations(Evidence.objects, "annotation", block=block))
    for reply in replies:
        reply.article = article
        reply.block = block
    for number, annotation in enumerate(annotations, start=before + 1):
        annotation.article = article
        annotation.block = block
        annotation.number = number
    return BlockView(block, annotations, highlight_segments(block.text, annotations))


def _blocks(article: Article) -> tuple[dict[int, Block], list[Block]]:
    """Every block of the article by pk (removed ones too: annotations may point at them), and the current ones
    in reading order (1 query)."""
    all_blocks = {b.pk: b for b in article.blocks.all()}
    return all_blocks, sorted((b for b in all_blocks.values() if b.removed_at is None), key=lambda b: b.position)


def _block_views(all_blocks: dict[int, Block], blocks: list[Block], by_block: dict[int, list]) -> list[BlockView]:
    """A view per current block, with the keys of removed paragraphs whose text it now holds."""
    views = [BlockView(block, by_block.get(block.pk, [])) for block in blocks]
    text_blocks = [b for b in all_blocks.values() if b.kind != Block.Kind.IMAGE]
    led = successors(
        [(b.key, b.text) for b in text_blocks if b.removed_at is not None],
        [(b.key, b.text) for b in blocks if b.kind != Block.Kind.IMAGE],
    )
    for view in views:
        view.old_keys = sorted(old for old, new in led.items() if new == view.block.key)
    return views


def article_annotations(*, article: Article, user) -> tuple[list[BlockView], list[Annotation]]:
    """The article's current blocks with the annotations ``user`` may see beside them,
    and the annotations that have lost their place in the text ("earlier wording":
    orphans, and those waiting for a moderator to re-anchor them).

    Queries: the article's blocks (1), the visible annotations and their
    replies with their revision (1), their authors (1), their tags (1), their
    evidence (1) — whatever the number of paragraphs, annotations or replies.
    Each annotation has its thread of replies (``annotations.selectors.threads``). Related rows are
    attached by hand rather than by select_related/prefetch_related: with
    thousands of annotations, one shared object per block, author and tag is
    several times cheaper than one per row. (The article page needs far less
    of most of them: ``article_annotation_rows``.)
    """
    all_blocks, blocks = _blocks(article)
    rows = list(
        Annotation.objects.visible_to(user)
        .filter(article=article)
        .select_related("original_revision")
        .order_by("block__position", "quote_start", "created_at", "pk")
    )
    replies = [a for a in rows if a.parent_id is not None]
    annotations = build_threads([a for a in rows if a.parent_id is None], replies)
    by_pk = {a.pk: a for a in rows}
    _attach_authors_and_tags(rows, of_annotations(TaggedAnnotation.objects, "content_object", article=article))
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    if annotations:
        evidence_of_article = of_annotations(Evidence.objects, "annotation", article=article)
        for item in evidence_of_article.order_by("annotation_id", "position", "pk"):
            if item.annotation_id in by_pk:
                evidence[item.annotation_id].append(item)

    for reply in replies:
        reply.article = article
        reply.block = all_blocks[reply.block_id]
        reply.evidence_list = []
    by_block: dict[int, list[Annotation]] = defaultdict(list)
    earlier: list[Annotation] = []
    number = 0
    for annotation in annotations:
        annotation.article = article
        annotation.block = all_blocks[annotation.block_id]
        annotation.evidence_list = evidence.get(annotation.pk, [])
        if annotation.is_placed:  # AnnotationQuerySet.placed, in memory
            number += 1
            annotation.number = number
            by_block[annotation.block_id].append(annotation)
        else:
            earlier.append(annotation)
    earlier.sort(key=lambda a: (a.created_at, a.pk))
    views = _block_views(all_blocks, blocks, by_block)
    for view in views:
        view.segments = highlight_segments(view.block.text, view.annotations)
    return views, earlier


@dataclass(slots=True)
class AnnotationRow:
    """What the article page needs of every annotation it may show to choose, count and filter them: no text.

    A plain row, not a model: building thousands of ``Annotation`` objects
    with their text only to show a hundred was most of the page's cost.
    ``load_cards`` turns the ones shown into annotations.
    """

    pk: int
    block_id: int
    author_id: int | None
    username: str | None
    kind: str
    verdict: str
    status: str
    visibility: str
    created_at: datetime
    parent_id: int | None
    deleted_at: datetime | None
    tag_list: list[Tag]
    number: int | None = None
    thread_children: list[AnnotationRow] = field(default_factory=list)  # annotations.selectors.threads
    reply_count: int = 0

    @property
    def is_public_and_approved(self) -> bool:
        """Counted and summarised as a published annotation (a deleted placeholder is not)."""
        return (
            self.status == Annotation.Status.APPROVED
            and self.visibility != Annotation.Visibility.PRIVATE
            and self.deleted_at is None
        )


def article_annotation_rows(*, article: Article, user) -> tuple[list[BlockView], list[AnnotationRow]]:
    """``article_annotations`` as rows (``AnnotationRow``), numbered the same way, with their tags; each with
    its thread of replies (``annotations.selectors.threads``: ``thread_children``, ``reply_count``).

    Queries: the article's blocks (1), the visible annotations' rows, replies included, with their authors'
    names (1), their tags (1). The rows grow with the number of annotations and replies (a tuple each, and
    their tags); nothing else does.
    """
    all_blocks, blocks = _blocks(article)
    User = Annotation._meta.get_field("author").related_model
    rows = (
        Annotation.objects.visible_to(user)
        .filter(article=article)
        .order_by("block__position", "quote_start", "created_at", "pk")
        .values_list(
            "pk",
            "block_id",
            "author_id",
            f"author__{User.USERNAME_FIELD}",
            "kind",
            "verdict",
            "status",
            "visibility",
            "created_at",
            "parent_id",
            "deleted_at",
            "anchor_state",
        )
    )
    annotations: list[AnnotationRow] = []
    replies: list[AnnotationRow] = []
    states = {}
    for *fields, anchor_state in rows:
        row = AnnotationRow(*fields, tag_list=[])
        (annotations if row.parent_id is None else replies).append(row)
        states[row.pk] = anchor_state
    annotations = build_threads(annotations, replies)
    if annotations:
        by_pk = {a.pk: a for a in annotations} | {r.pk: r for r in replies}
        tags: dict[int, Tag] = {}
        tagged = of_annotations(TaggedAnnotation.objects, "content_object", article=article).order_by("pk")
        for annotation_id, tag_id, name, slug in tagged.values_list(
            "content_object_id", "tag_id", "tag__name", "tag__slug"
        ):
            if annotation_id in by_pk:
                tag = tags.get(tag_id) or tags.setdefault(tag_id, Tag(pk=tag_id, name=name, slug=slug))
                by_pk[annotation_id].tag_list.append(tag)

    by_block: dict[int, list[AnnotationRow]] = defaultdict(list)
    earlier: list[AnnotationRow] = []
    number = 0
    for row in annotations:
        # AnnotationQuerySet.placed, in memory
        if states[row.pk] in Annotation.PLACED_STATES and all_blocks[row.block_id].removed_at is None:
            number += 1
            row.number = number
            by_block[row.block_id].append(row)
        else:
            earlier.append(row)
    earlier.sort(key=lambda a: (a.created_at, a.pk))
    return _block_views(all_blocks, blocks, by_block), earlier


def load_cards(rows: list[AnnotationRow], *, article: Article) -> dict[int, Annotation]:
    """The annotations of ``rows`` (those a page shows) by pk, ready for their cards: author, revision, paragraph,
    tags, evidence and number. Queries: the annotations with their author and revision (1), their evidence (1);
    none for no rows."""
    if not rows:
        return {}
    annotations = {
        a.pk: a
        for a in Annotation.objects.filter(pk__in=[r.pk for r in rows]).select_related(
            "author", "original_revision", "block"
        )
    }
    attach_evidence(list(annotations.values()))
    for row in rows:
        annotation = annotations[row.pk]
        annotation.article = article
        annotation.tag_objects = row.tag_list
        annotation.number = row.number
    return annotations


def tag_suggestions(user=None, limit: int = 200) -> list[str]:
    """Tag names for the form's datalist: those on published annotations, most used
    first, and the user's own (1 query). Tags used only on others' private or
    unpublished annotations are never suggested.
    """
    from django.db.models import Count, Q

    public = readable_q("tagged_annotations__content_object__")
    if user is not None and user.is_authenticated:
        public |= Q(tagged_annotations__content_object__author=user)
    return list(
        Tag.objects.annotate(n=Count("tagged_annotations", filter=public))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values_list("name", flat=True)[:limit]
    )
