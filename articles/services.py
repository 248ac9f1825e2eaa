"""Writes to articles: importing a parsed document onto stable block keys, and editors' edits of blocks.

Both record an article revision and re-anchor the article's annotations in
their own transaction (``articles.revisions.record_revision``).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import revisions
from .models import Article, ArticleRevision, Block, Source
from .parsing import ParsedArticle, ParsedBlock

# Paragraphs whose text is at least this similar to the old text at the same
# place are treated as edits of that paragraph (they keep its key); below it,
# the old paragraph is removed and the new one gets a key of its own.
EDIT_SIMILARITY = 0.5
# Temporary offset for positions while blocks move, so the one-position-per-
# article constraint holds row by row on every database.
POSITION_SHIFT = 1_000_000
SLUG_MAX_LENGTH = 100


class ImportConflict(ValueError):
    """The import would clobber another article; nothing was written."""


@dataclass
class BlockPlan:
    kind: str
    text: str
    position: int
    key: str = ""
    block: Block | None = None  # existing row, None for a new block

    @property
    def is_new(self) -> bool:
        return self.block is None

    @property
    def text_changed(self) -> bool:
        return self.block is not None and (self.block.text != self.text or self.block.kind != self.kind)

    @property
    def moved(self) -> bool:
        return self.block is not None and self.block.position != self.position


@dataclass
class ImportResult:
    article: Article
    created: bool
    dry_run: bool
    article_changes: list[str] = field(default_factory=list)
    added: list[BlockPlan] = field(default_factory=list)
    edited: list[BlockPlan] = field(default_factory=list)
    moved: list[BlockPlan] = field(default_factory=list)
    unchanged: list[BlockPlan] = field(default_factory=list)
    removed: list[Block] = field(default_factory=list)
    source_filled: list[str] = field(default_factory=list)
    revision: ArticleRevision | None = None  # None for a dry run or when no block changed

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.article_changes
            or self.added
            or self.edited
            or self.moved
            or self.removed
            or self.source_filled
        )

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "was"
        if self.created:
            head = f"'{self.article.slug}' {verb} created"
        elif self.changed:
            head = f"'{self.article.slug}' {verb} updated"
        else:
            return f"'{self.article.slug}' is up to date: nothing to change"
        text = (
            f"{head}: {len(self.added)} blocks added, {len(self.edited)} edited, {len(self.moved)} moved, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )
        if self.revision is not None and not self.created:
            text += f"; revision {self.revision.number}, annotations: {self.revision.annotation_summary()}"
        return text


def identity_of(parsed: ParsedArticle) -> str:
    """What makes two files the same document across revisions."""
    if parsed.source.original_url:
        return f"url:{parsed.source.original_url}"
    return f"title:{parsed.title.casefold()}"


def slug_for(title: str) -> str:
    slug = slugify(title)[:SLUG_MAX_LENGTH].rstrip("-")
    if len(slugify(title)) > SLUG_MAX_LENGTH and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug or "article"


def block_key(kind: str, text: str, taken: set[str]) -> str:
    """A short, URL-safe key derived from the block's first text, unique in the article.

    Derived rather than random so that importing the same file into two
    databases gives the same permalinks.
    """
    base = hashlib.sha1(f"{kind}\n{text}".encode()).hexdigest()[:8]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def plan_blocks(
    existing: list[Block], removed: list[Block], parsed_blocks: list[ParsedBlock]
) -> tuple[list[BlockPlan], list[Block]]:
    """Match new blocks to existing ones; returns the plan and the blocks to remove.

    1. The longest common run of unchanged blocks keeps its rows and keys
       (difflib alignment).
    2. Blocks whose exact text moved elsewhere keep their rows and keys.
    3. Within each changed stretch, old and new blocks are paired by best
       similarity (at least ``EDIT_SIMILARITY``): edits in place keep keys.
    4. What is left: new text gets a new key (or the row of a block with that
       exact text removed earlier); old text no longer present is removed
       (marked, never deleted).
    """
    taken = {b.key for b in existing} | {b.key for b in removed}
    old_seq = [(b.kind, b.text) for b in existing]
    new_seq = [(b.kind, b.text) for b in parsed_blocks]
    pairs: dict[int, Block] = {}  # new index -> existing block
    groups: list[tuple[list[Block], list[int]]] = []
    matcher = difflib.SequenceMatcher(None, old_seq, new_seq, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.update(zip(range(j1, j2), existing[i1:i2], strict=True))
        else:
            groups.append((list(existing[i1:i2]), list(range(j1, j2))))

    # 2. exact text that moved
    used: set[int] = set()
    by_text: dict[tuple[str, str], list[Block]] = {}
    for olds, _ in groups:
        for old in olds:
            by_text.setdefault((old.kind, old.text), []).append(old)
    for _, news in groups:
        for j in news:
            candidates = by_text.get(new_seq[j])
            if candidates:
                old = candidates.pop(0)
                pairs[j] = old
                used.add(old.pk)

    # 3. edits in place, best similarity first within each changed stretch
    for olds, news in groups:
        olds_left = [o for o in olds if o.pk not in used]
        news_left = [j for j in news if j not in pairs]
        scored = sorted(
            (
                (difflib.SequenceMatcher(None, old.text, parsed_blocks[j].text, autojunk=False).ratio(), n, m)
                for n, old in enumerate(olds_left)
                for m, j in enumerate(news_left)
                if old.kind == parsed_blocks[j].kind
            ),
            reverse=True,
        )
        for ratio, n, m in scored:
            if ratio < EDIT_SIMILARITY:
                break
            old, j = olds_left[n], news_left[m]
            if old.pk in used or j in pairs:
                continue
            pairs[j] = old
            used.add(old.pk)

    to_remove = [o for olds, _ in groups for o in olds if o.pk not in used]
    revivable: dict[tuple[str, str], Block] = {}
    for block in removed:
        revivable.setdefault((block.kind, block.text), block)
    plan: list[BlockPlan] = []
    for j, new in enumerate(parsed_blocks):
        old = pairs.get(j)
        if old is None:
            old = revivable.pop((new.kind, new.text), None)
        key = old.key if old is not None else block_key(new.kind, new.text, taken)
        plan.append(BlockPlan(new.kind, new.text, j + 1, key=key, block=old))
    return plan, to_remove


def import_article(
    *,
    parsed: ParsedArticle,
    slug: str | None = None,
    dry_run: bool = False,
    publish: bool = True,
    revised_by=None,
    note: str = "",
) -> ImportResult:
    """Create or update an article from a parsed document, in one transaction.

    Idempotent: importing the same document twice changes nothing the second
    time. Source details an editor has filled in are never overwritten; the
    file only fills empty ones. When blocks change, an article revision is
    recorded (by ``revised_by``, with ``note``) and every annotation is
    re-anchored in the same transaction. Raises ``ImportConflict`` when the
    slug belongs to a different article.
    """
    identity = identity_of(parsed)
    with transaction.atomic():
        article = _find_target(identity=identity, slug=slug, title=parsed.title)
        created = article.pk is None
        result = ImportResult(article=article, created=created, dry_run=dry_run)
        _apply_article_fields(article, parsed, identity, publish, result)

        existing = list(article.blocks.current()) if not created else []
        removed = list(article.blocks.filter(removed_at__isnull=False)) if not created else []
        plan, to_remove = plan_blocks(existing, removed, parsed.blocks)
        for item in plan:
            if item.is_new:
                result.added.append(item)
            elif item.block.removed_at is not None or item.text_changed:
                result.edited.append(item)
            elif item.moved:
                result.moved.append(item)
            else:
                result.unchanged.append(item)
        result.removed = to_remove

        source = article.source if not created and hasattr(article, "source") else Source()
        _fill_source(source, parsed, result)

        if dry_run or not result.changed:
            transaction.set_rollback(True)
            return result

        if created or result.article_changes:
            article.save()
        source.article = article
        if source.pk is None or result.source_filled:
            source.save()
        before = revisions.snapshot(article) if not created else {}
        _write_blocks(article, plan, to_remove)
        result.revision = revisions.record_revision(
            article=article, before=before, source=ArticleRevision.Origin.IMPORT, actor=revised_by, note=note
        )
        return result


def _find_target(*, identity: str, slug: str | None, title: str) -> Article:
    if slug:
        article = Article.objects.select_for_update().filter(slug=slug).first()
        if article is not None and article.import_identity != identity:
            raise ImportConflict(
                f"the slug '{slug}' belongs to another article ('{article.title}'); choose another with --slug"
            )
        if article is None:
            elsewhere = Article.objects.filter(import_identity=identity).first()
            if elsewhere is not None:
                raise ImportConflict(
                    f"this document was already imported as '{elsewhere.slug}'; re-import it without --slug"
                )
        return article or Article(slug=slug)
    article = Article.objects.select_for_update().filter(import_identity=identity).first()
    if article is not None:
        return article
    derived = slug_for(title)
    other = Article.objects.filter(slug=derived).first()
    if other is not None:
        raise ImportConflict(
            f"the slug '{derived}' belongs to another article ('{other.title}'); choose another with --slug"
        )
    return Article(slug=derived)


def _apply_article_fields(article: Article, parsed: ParsedArticle, identity: str, publish: bool, result: ImportResult):
    wanted = {
        "title": parsed.title,
        "section": parsed.section,
        "published_on": parsed.published_on,
        "import_identity": identity,
    }
    if article.pk is None:
        wanted["language"] = parsed.language
        wanted["status"] = Article.Status.PUBLISHED if publish else Article.Status.DRAFT
    for name, value in wanted.items():
        if getattr(article, name) != value:
            if article.pk is not None:
                result.article_changes.append(name)
            setattr(article, name, value)


def _fill_source(source: Source, parsed: ParsedArticle, result: ImportResult) -> None:
    facts = {
        "original_url": parsed.source.original_url,
        "publisher_name": parsed.source.publisher_name,
        "copy_published_on": parsed.source.copy_published_on,
        "copy_language": parsed.language,
    }
    for name, value in facts.items():
        if value and not getattr(source, name):
            setattr(source, name, value)
            if source.pk is not None:
                result.source_filled.append(name)


def _write_blocks(article: Article, plan: list[BlockPlan], to_remove: list[Block]) -> list[Block]:
    """Write a plan; returns the blocks it created."""
    now = timezone.now()
    for block in to_remove:
        block.mark_removed()
        block.updated_at = now
    if to_remove:
        Block.objects.bulk_update(to_remove, ["removed_at", "position", "updated_at"])

    movers = [p for p in plan if p.block is not None and (p.moved or p.text_changed or p.block.removed_at)]
    for item in movers:
        item.block.position = POSITION_SHIFT + item.position
        item.block.removed_at = None
    if movers:
        Block.objects.bulk_update([p.block for p in movers], ["position", "removed_at"])
    for item in movers:
        item.block.position = item.position
        item.block.kind = item.kind
        item.block.text = item.text
        item.block.updated_at = now
    if movers:
        Block.objects.bulk_update([p.block for p in movers], ["position", "kind", "text", "updated_at"])

    return Block.objects.bulk_create(
        [Block(article=article, key=p.key, position=p.position, kind=p.kind, text=p.text) for p in plan if p.is_new]
    )


@dataclass
class BlockEdit:
    """One row of an editor's edit of the article's blocks (admin inline)."""

    kind: str
    text: str
    order: float
    block: Block | None = None  # None for a block the editor added
    remove: bool = False


@dataclass
class RevisedBlocks:
    plan: list[BlockPlan]
    created: list[Block]
    revision: ArticleRevision | None  # None when nothing changed


@transaction.atomic
def revise_blocks(*, article: Article, edits: list[BlockEdit], actor=None, note: str = "") -> RevisedBlocks:
    """Apply an editor's edit of the blocks: new order, text, additions and removals.

    The edits' ``block`` objects only identify rows: the rows are read again
    here (a bound admin form has already written the new values onto its
    instance). Rows are never deleted (removal marks them); positions are
    renumbered 1..n in the order the editor gave (ties keep the previous
    order); current blocks the edit does not mention keep their place; new
    blocks get fresh stable keys. When anything changed, an article revision
    is recorded (by ``actor``, with ``note``) and every annotation re-anchored,
    in this transaction. Returns the plan, the created blocks and the revision.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    before = revisions.snapshot(article)
    rows = {b.pk: b for b in article.blocks.all()}
    taken = {b.key for b in rows.values()}
    mentioned = {e.block.pk for e in edits if e.block is not None}
    edits = [
        BlockEdit(kind=e.kind, text=e.text, order=e.order, block=rows[e.block.pk] if e.block else None, remove=e.remove)
        for e in edits
        if e.block is None or e.block.pk in rows
    ] + [
        BlockEdit(kind=b.kind, text=b.text, order=b.position, block=b)
        for b in rows.values()
        if b.pk not in mentioned and b.removed_at is None
    ]
    kept = sorted(
        (e for e in edits if not e.remove),
        key=lambda e: (e.order, e.block.position if e.block and e.block.position else 0),
    )
    plan: list[BlockPlan] = []
    for position, edit in enumerate(kept, start=1):
        key = edit.block.key if edit.block else block_key(edit.kind, edit.text, taken)
        plan.append(BlockPlan(edit.kind, edit.text, position, key=key, block=edit.block))
    to_remove = [e.block for e in edits if e.remove and e.block is not None and e.block.removed_at is None]
    created = _write_blocks(article, plan, to_remove)
    revision = revisions.record_revision(
        article=article, before=before, source=ArticleRevision.Origin.ADMIN, actor=actor, note=note
    )
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    return RevisedBlocks(plan, created, revision)
