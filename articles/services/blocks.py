"""Writing blocks: a plan from an import, or an editor's edit of the blocks (``revise_blocks``).

Blocks are never deleted (removal marks them); an edit records an article
revision and re-anchors the article's annotations in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from articles import revisions
from articles.models import Article, ArticleRevision, Block
from articles.planning import BlockPlan, block_key

# Temporary offset for positions while blocks move, so the one-position-per-
# article constraint holds row by row on every database.
POSITION_SHIFT = 1_000_000


def write_blocks(article: Article, plan: list[BlockPlan], to_remove: list[Block]) -> list[Block]:
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
    created = write_blocks(article, plan, to_remove)
    revision = revisions.record_revision(
        article=article, before=before, source=ArticleRevision.Origin.ADMIN, actor=actor, note=note
    )
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    return RevisedBlocks(plan, created, revision)
