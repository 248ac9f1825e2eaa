"""Article revisions: every change to an article's blocks is recorded, then its annotations re-anchored.

Both ways of changing blocks (``services.import_article`` for a revised file,
``services.revise_blocks`` for an admin edit) take a ``snapshot`` before
writing and call ``record_revision`` after, inside their transaction: the
revision row, the re-anchoring of every annotation and its log rows commit or
roll back with the change itself.

What a revision does to data in other apps (the annotations app re-anchors
its annotations) runs through ``articles.hooks``: those apps register there,
and ``record_revision`` runs the hooks in the same transaction. ``articles``
never imports them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Max
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from articles import hooks
from articles.models import Article, ArticleRevision, Block

Change = ArticleRevision.Change


@dataclass(frozen=True)
class BlockState:
    """A block as it stood at one moment (what a revision compares)."""

    pk: int
    key: str
    kind: str
    text: str
    position: int | None
    current: bool


Snapshot = Mapping[int, BlockState]  # block pk -> state


def snapshot(article: Article) -> dict[int, BlockState]:
    """Every block of the article, current and removed (1 query)."""
    if article.pk is None:
        return {}
    rows = Block.objects.filter(article=article).values_list("pk", "key", "kind", "text", "position", "removed_at")
    return {
        pk: BlockState(pk, key, kind, text, position, removed_at is None)
        for pk, key, kind, text, position, removed_at in rows
    }


def in_order(states: Snapshot) -> list[BlockState]:
    """The current blocks of a snapshot, in reading order."""
    return sorted((s for s in states.values() if s.current), key=lambda s: s.position)


def diff_blocks(before: Snapshot, after: Snapshot) -> list[dict]:
    """What changed between two snapshots, block by block, in the new reading order.

    A block counts as *moved* only when its place among the blocks present
    both before and after changed (inserting a paragraph above others shifts
    their positions without moving them).
    """
    old_order = [s.key for s in in_order(before) if s.pk in after and after[s.pk].current]
    new_order = [s.key for s in in_order(after) if s.pk in before and before[s.pk].current]
    matcher = difflib.SequenceMatcher(None, old_order, new_order, autojunk=False)
    stayed = {key for block in matcher.get_matching_blocks() for key in old_order[block.a : block.a + block.size]}

    changes: list[tuple[float, dict]] = []
    for state in in_order(after):
        old = before.get(state.pk)
        entry = {
            "key": state.key,
            "block_kind": state.kind,
            "old_text": old.text if old else "",
            "new_text": state.text,
            "old_position": old.position if old else None,
            "new_position": state.position,
            "moved": False,
        }
        if old is None:
            entry["change"] = Change.ADDED
        elif not old.current:
            entry["change"] = Change.RESTORED
        elif old.text != state.text or old.kind != state.kind:
            entry["change"] = Change.EDITED
            entry["moved"] = state.key not in stayed
        elif state.key not in stayed:
            entry["change"] = Change.MOVED
        else:
            continue
        changes.append((float(state.position), entry))

    # a removed block is listed after the block that preceded it, in the new order
    new_place = {s.pk: s.position for s in after.values() if s.current}
    previous_place = 0.0
    for state in in_order(before):
        if state.pk in new_place:
            previous_place = float(new_place[state.pk])
            continue
        changes.append(
            (
                previous_place + 0.5,
                {
                    "key": state.key,
                    "block_kind": state.kind,
                    "change": Change.REMOVED,
                    "old_text": state.text,
                    "new_text": "",
                    "old_position": state.position,
                    "new_position": None,
                    "moved": False,
                },
            )
        )
    changes.sort(key=lambda item: item[0])
    return [entry for _, entry in changes]


def record_revision(
    *, article: Article, before: Snapshot, source: str, actor=None, note: str = ""
) -> ArticleRevision | None:
    """Record the change of the article's blocks since ``before`` and re-anchor its annotations.

    Returns the new revision, or None when no block changed (nothing is
    written). Must run inside the transaction that changed the blocks, with
    the article row locked (both services lock it). An article changed for
    the first time since revisions exist gets a baseline revision 1 first
    (the text before the change), so every revision compares two recorded
    texts.
    """
    after = snapshot(article)
    changes = diff_blocks(before, after)
    if not changes:
        return None
    last = ArticleRevision.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0
    if last == 0 and any(s.current for s in before.values()):
        _baseline(article, before)
        last = 1
    counts = {kind: sum(1 for c in changes if c["change"] == kind) for kind in Change.values}
    revision = ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        source=ArticleRevision.Origin.INITIAL if last == 0 else source,
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        note=(note or "").strip(),
        changes=changes,
        blocks_added=counts[Change.ADDED] + counts[Change.RESTORED],
        blocks_edited=counts[Change.EDITED],
        blocks_moved=counts[Change.MOVED] + sum(1 for c in changes if c["moved"]),
        blocks_removed=counts[Change.REMOVED],
    )
    hooks.run_revision_hooks(article=article, revision=revision, before=before, after=after)
    return revision


def _baseline(article: Article, before: Snapshot) -> ArticleRevision:
    """Revision 1 for an article whose text predates revisions: its blocks as they stood."""
    return ArticleRevision.objects.create(
        article=article,
        number=1,
        source=ArticleRevision.Origin.INITIAL,
        created_at=article.created_at,
        note="The text as it stood before revisions were recorded.",
        changes=[
            {
                "key": s.key,
                "block_kind": s.kind,
                "change": Change.ADDED,
                "old_text": "",
                "new_text": s.text,
                "old_position": None,
                "new_position": s.position,
                "moved": False,
            }
            for s in in_order(before)
        ],
        blocks_added=sum(1 for s in before.values() if s.current),
    )


@dataclass(frozen=True)
class BlockText:
    """A block as it read in a recorded revision (for the revision's public page and exports)."""

    key: str
    kind: str
    text: str


def text_at(revisions: list[ArticleRevision]) -> list[BlockText]:
    """The article's text, in reading order, as of the last of ``revisions`` (all of its first ``n``, in order).

    Replays each revision's recorded changes: removed blocks leave, and every
    added, edited, moved or restored block takes its recorded new place among
    the blocks that did not change, whose relative order a revision never
    changes (``diff_blocks``). Pure: no query.
    """
    order: list[str] = []
    blocks: dict[str, BlockText] = {}
    for revision in revisions:
        placed = sorted(
            (c for c in revision.changes if c["change"] != Change.REMOVED and c["new_position"] is not None),
            key=lambda c: c["new_position"],
        )
        leaving = {c["key"] for c in revision.changes}
        order = [key for key in order if key not in leaving]
        for change in placed:
            order.insert(change["new_position"] - 1, change["key"])
            blocks[change["key"]] = BlockText(change["key"], change["block_kind"], change["new_text"])
    return [blocks[key] for key in order]


def latest_revision(article: Article) -> ArticleRevision | None:
    """The article's current revision (1 query); None until its blocks were first recorded."""
    return ArticleRevision.objects.filter(article=article).order_by("-number").first()


# Words, runs of white space, single CJK characters (Chinese and Japanese have no
# spaces between words) and single punctuation marks; together they cover any text.
_TOKEN_RE = re.compile(r"\s+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|\w+|[^\w\s]")


def _is_glue(text: str) -> bool:
    """White space, punctuation or one short word: too little to read as unchanged between two changes."""
    words = text.split()
    return len(words) <= 1 and all(len(w) <= 3 for w in words)


def word_diff_html(old: str, new: str) -> SafeString:
    """The change from ``old`` to ``new`` as HTML: removed words in <del>, added ones in <ins>.

    Escaping contract: every piece of either text goes through ``escape`` (or
    ``format_html``); the only markup is the <del>/<ins> tags written here.
    """
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    # chunks of (equal text) or (removed text, added text); a rewritten phrase comes out of
    # difflib as many small changes glued by spaces and short words: read as one change
    chunks: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            chunks.append(("equal", removed, removed))
        elif len(chunks) >= 2 and chunks[-2][0] == "change" and _is_glue(chunks[-1][1]):
            glue = chunks.pop()[1]
            _, was_removed, was_added = chunks.pop()
            chunks.append(("change", was_removed + glue + removed, was_added + glue + added))
        else:
            chunks.append(("change", removed, added))
    parts: list[str] = []
    for kind, removed, added in chunks:
        if kind == "equal":
            parts.append(escape(removed))
            continue
        if removed:
            parts.append(format_html("<del>{}</del>", removed))
        if added:
            parts.append(format_html("<ins>{}</ins>", added))
    return mark_safe("".join(parts))  # only escaped parts and our own tags (see above)
