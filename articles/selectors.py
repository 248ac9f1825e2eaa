"""Reads of articles for the public pages, each in a fixed number of queries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.http import Http404

from articles import alignment
from articles.alignment import Alignment

from .models import AlignmentCorrection, Article, Block, OriginalBlock, OriginalText


def article_list(*, user) -> list[Article]:
    """Articles the user may see, newest first, with their source details (1 query)."""
    return list(Article.objects.visible_to(user).select_related("source").order_by("-published_on", "-created_at"))


def article_for_reading(*, slug: str, user) -> Article:
    """One article with its source and original's row, if any (1 query); 404 for drafts unless staff."""
    article = Article.objects.visible_to(user).select_related("source", "original").filter(slug=slug).first()
    if article is None:
        raise Http404("No such article.")
    return article


# ---------------------------------------------------------------- the copy beside its original (issue 19)

# An alignment is pure and deterministic: cached under a digest of everything it reads (both texts' blocks
# and keys, and the corrections), so a revision of either text or a new correction is a new entry and an
# entry is never stale. A day: what the compare view and the admin read again soon.
ALIGNMENT_TIMEOUT = 24 * 3600


@dataclass
class ArticleAlignment:
    """The copy's blocks, the original's, and how they align (``alignment.pairs`` index both lists)."""

    copy: list[Block]
    original: list[OriginalBlock]
    corrections: list[AlignmentCorrection]
    alignment: Alignment
    # for each dropped correction (``alignment.dropped``), the stored row it came from
    dropped: list[tuple[AlignmentCorrection, str]]


def _digest(copy: list[Block], original: list[OriginalBlock], corrections: list[AlignmentCorrection]) -> str:
    payload = json.dumps(
        [
            [(b.key, b.text) for b in copy],
            [(b.key, b.text) for b in original],
            [(c.pk, c.copy_keys, c.original_keys) for c in corrections],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def align_blocks(
    *, copy: list[Block], original: list[OriginalBlock], corrections: list[AlignmentCorrection]
) -> ArticleAlignment:
    """Align the copy's blocks (current, in order; image placeholders left out) with the original's,
    respecting the editors' corrections by stable key. No query; cached (``ALIGNMENT_TIMEOUT``)."""
    copy = [b for b in copy if b.kind != Block.Kind.IMAGE]
    key = f"alignment:{_digest(copy, original, corrections)}"
    found = cache.get(key)
    if found is None:
        found = alignment.align(
            [b.text for b in copy],
            [b.text for b in original],
            corrections=[alignment.Correction(tuple(c.copy_keys), tuple(c.original_keys)) for c in corrections],
            copy_keys=[b.key for b in copy],
            original_keys=[b.key for b in original],
        )
        cache.set(key, found, ALIGNMENT_TIMEOUT)
    by_correction = {id(c): c for c in corrections}
    rows = {(tuple(c.copy_keys), tuple(c.original_keys)): c for c in by_correction.values()}
    dropped = [(rows[(d.correction.copy, d.correction.original)], d.reason) for d in found.dropped]
    return ArticleAlignment(copy, original, corrections, found, dropped)


def original_alignment(*, article: Article) -> ArticleAlignment | None:
    """The article's alignment with its original, or None without one (4 queries with an original: the
    original, its blocks, the copy's blocks, the corrections; 1 without)."""
    original = OriginalText.objects.filter(article=article).first()
    if original is None:
        return None
    return align_blocks(
        copy=list(article.blocks.current()),
        original=list(original.blocks.current()),
        corrections=list(article.alignment_corrections.all()),
    )
