"""The original's text beside a copy (issue 19): attaching or revising it, and editors' alignment corrections.

Each is one transaction. Attaching parses the text (``articles.parsing.parse_original``), plans its blocks on
stable keys as an import plans an article's (``articles.planning.plan_blocks``: a revised original keeps the
keys of the paragraphs it keeps, so corrections naming them still hold), writes them and records an
``OriginalRevision`` with the same change list as an article revision (``articles.revisions.diff_blocks``).
Every change moves the original's ``version`` on and saves the source details, which invalidates the
article's cached pages (the annotations app bumps the article on a saved source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from articles import revisions
from articles.models import (
    AlignmentCorrection,
    Article,
    ArticleRevision,
    OriginalBlock,
    OriginalRevision,
    OriginalRights,
    OriginalText,
    Source,
)
from articles.parsing import DocumentError, ParsedOriginal, parse_original
from articles.planning import BlockPlan, plan_blocks
from articles.revisions import BlockState

# Temporary offset for positions while blocks move (one position per original, row by row).
POSITION_SHIFT = 1_000_000


@dataclass
class OriginalResult:
    original: OriginalText
    created: bool
    revision: OriginalRevision | None  # None when no block changed

    @property
    def changed(self) -> bool:
        return self.created or self.revision is not None

    def summary(self) -> str:
        blocks = self.original.blocks.current().count()
        if self.created:
            return f"original attached: {blocks} blocks"
        if self.revision is None:
            return "original unchanged: nothing to change"
        return f"original revised (revision {self.revision.number}, {self.revision.block_summary()})"


def _normal(text: str) -> str:
    return " ".join(text.split())


def check_original(*, article: Article, parsed: ParsedOriginal) -> None:
    """Refuse an original that is the copy itself (``ValidationError``)."""
    copy = [_normal(b.text) for b in article.blocks.current().exclude(kind="image")]
    if [_normal(b.text) for b in parsed.blocks] == copy:
        raise ValidationError(
            "The original is identical to the copy: paste the original work's text, not the article's.",
            code="identical",
        )


def snapshot(original: OriginalText) -> dict[int, BlockState]:
    """Every block of the original, current and removed (1 query), as ``articles.revisions`` compares them."""
    if original.pk is None:
        return {}
    rows = OriginalBlock.objects.filter(original=original).values_list(
        "pk", "key", "kind", "text", "position", "removed_at"
    )
    return {
        pk: BlockState(pk, key, kind, text, position, removed_at is None)
        for pk, key, kind, text, position, removed_at in rows
    }


def _write(original: OriginalText, plan: list[BlockPlan], to_remove: list[OriginalBlock]) -> None:
    for block in to_remove:
        block.mark_removed()
    if to_remove:
        OriginalBlock.objects.bulk_update(to_remove, ["removed_at", "position"])
    movers = [p for p in plan if p.block is not None and (p.moved or p.text_changed or p.block.removed_at)]
    for item in movers:
        item.block.position = POSITION_SHIFT + item.position
        item.block.removed_at = None
    if movers:
        OriginalBlock.objects.bulk_update([p.block for p in movers], ["position", "removed_at"])
    for item in movers:
        item.block.position, item.block.kind, item.block.text = item.position, item.kind, item.text
    if movers:
        OriginalBlock.objects.bulk_update([p.block for p in movers], ["position", "kind", "text"])
    OriginalBlock.objects.bulk_create(
        [
            OriginalBlock(original=original, key=p.key, position=p.position, kind=p.kind, text=p.text)
            for p in plan
            if p.is_new
        ]
    )


def _changed(original: OriginalText) -> None:
    """Move the original's version on and save the source (the article's cached pages are stale)."""
    OriginalText.objects.filter(pk=original.pk).update(version=F("version") + 1, updated_at=timezone.now())
    original.refresh_from_db(fields=["version", "updated_at"])
    source, _ = Source.objects.get_or_create(article_id=original.article_id)
    source.save(update_fields=["updated_at"])


@transaction.atomic
def attach_original(
    *,
    article: Article,
    text: str,
    filename: str = "",
    coverage: str | None = None,
    rights: str | None = None,
    actor=None,
    note: str = "",
    origin: str = ArticleRevision.Origin.ADMIN,
) -> OriginalResult:
    """Attach the original's text to ``article``, or revise the one attached (on stable block keys).

    ``text`` is the original as pasted or read from a file (``read_document`` refuses other encodings,
    binary and empty files). Raises ``ValidationError`` (nothing written) for empty text, control
    characters, or a text identical to the copy. Idempotent: the same text again changes nothing.
    ``coverage`` (``OriginalText.Coverage``) and ``rights`` (``OriginalRights``) are set when given.
    """
    try:
        parsed = parse_original(text, filename=filename)
    except DocumentError as exc:
        raise ValidationError(str(exc)[:1].upper() + str(exc)[1:] + ".", code="invalid") from None
    if coverage is not None and coverage not in OriginalText.Coverage.values:
        raise ValidationError(f"Unknown coverage {coverage!r}.", code="invalid")
    if rights is not None and rights not in OriginalRights.values:
        raise ValidationError(f"Unknown rights setting {rights!r}.", code="invalid")
    article = Article.objects.select_for_update().get(pk=article.pk)
    check_original(article=article, parsed=parsed)

    original = OriginalText.objects.filter(article=article).first()
    created = original is None
    if created:
        original = OriginalText.objects.create(article=article, coverage=coverage or OriginalText.Coverage.FULL)
    elif coverage is not None and coverage != original.coverage:
        original.coverage = coverage
        original.save(update_fields=["coverage", "updated_at"])
    before = snapshot(original)
    existing = list(original.blocks.current())
    removed = list(original.blocks.filter(removed_at__isnull=False))
    plan, to_remove = plan_blocks(existing, removed, parsed.blocks)
    _write(original, plan, to_remove)
    revision = _record(original=original, before=before, actor=actor, note=note, origin=origin)

    source, _ = Source.objects.get_or_create(article=article)
    fields = []
    if rights is not None and source.original_rights != rights:
        source.original_rights = rights
        fields.append("original_rights")
    if parsed.title and not source.original_title:
        source.original_title = parsed.title
        fields.append("original_title")
    if fields:
        source.full_clean()
        source.save(update_fields=[*fields, "updated_at"])
    if revision is not None or fields or created:
        _changed(original)
    return OriginalResult(original, created, revision)


def _record(*, original: OriginalText, before, actor, note: str, origin: str) -> OriginalRevision | None:
    changes = revisions.diff_blocks(before, snapshot(original))
    if not changes:
        return None
    last = OriginalRevision.objects.filter(original=original).aggregate(n=Max("number"))["n"] or 0
    kinds = [c["change"] for c in changes]
    Change = ArticleRevision.Change
    return OriginalRevision.objects.create(
        original=original,
        number=last + 1,
        source=ArticleRevision.Origin.INITIAL if last == 0 else origin,
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        note=(note or "").strip(),
        changes=changes,
        blocks_added=kinds.count(Change.ADDED) + kinds.count(Change.RESTORED),
        blocks_edited=kinds.count(Change.EDITED),
        blocks_moved=kinds.count(Change.MOVED) + sum(1 for c in changes if c["moved"]),
        blocks_removed=kinds.count(Change.REMOVED),
    )


# ---------------------------------------------------------------- corrections


def _consecutive(keys: Sequence[str], order: dict[str, int]) -> bool:
    places = sorted(order[k] for k in keys)
    return all(b == a + 1 for a, b in zip(places, places[1:], strict=False))


@transaction.atomic
def save_correction(
    *, article: Article, copy_keys: Sequence[str], original_keys: Sequence[str], actor=None
) -> AlignmentCorrection:
    """An editor's correction of the alignment: ``copy_keys`` paired with ``original_keys`` (stable keys),
    or copy blocks alone (added in this copy), or original blocks alone (left out of the copy).

    Replaces the corrections that named any of the same blocks (the newest decision wins). Raises
    ``ValidationError`` for blocks that do not exist, several copy blocks with several original blocks, or
    blocks that are not consecutive.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    original = OriginalText.objects.filter(article=article).first()
    if original is None:
        raise ValidationError("This article has no original text to align with.", code="no_original")
    copy_keys, original_keys = list(dict.fromkeys(copy_keys)), list(dict.fromkeys(original_keys))
    copy_order = {k: i for i, k in enumerate(article.blocks.current().values_list("key", flat=True))}
    original_order = {k: i for i, k in enumerate(original.blocks.current().values_list("key", flat=True))}
    errors = []
    missing = [k for k in copy_keys if k not in copy_order] + [k for k in original_keys if k not in original_order]
    if missing:
        errors.append(f"No such current paragraph: {', '.join(missing)}.")
    elif not copy_keys and not original_keys:
        errors.append("Choose a paragraph of the copy, of the original, or both.")
    elif len(copy_keys) > 1 and len(original_keys) > 1:
        errors.append("Link one copy paragraph with several original ones, or several copy paragraphs with one.")
    elif not _consecutive(copy_keys, copy_order) or not _consecutive(original_keys, original_order):
        errors.append("Paragraphs linked together must follow one another.")
    if errors:
        raise ValidationError(errors, code="invalid")
    copy_keys.sort(key=copy_order.__getitem__)
    original_keys.sort(key=original_order.__getitem__)
    for old in AlignmentCorrection.objects.filter(article=article):
        if set(old.copy_keys) & set(copy_keys) or set(old.original_keys) & set(original_keys):
            old.delete()
    correction = AlignmentCorrection.objects.create(
        article=article,
        copy_keys=copy_keys,
        original_keys=original_keys,
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    _changed(original)
    return correction


@transaction.atomic
def delete_correction(*, correction: AlignmentCorrection) -> None:
    """Remove an editor's correction: the aligner decides those blocks again."""
    original = OriginalText.objects.filter(article_id=correction.article_id).first()
    correction.delete()
    if original is not None:
        _changed(original)
