"""Matching a new text's blocks to the stored ones, so that every paragraph keeps its stable key.

Pure: reads the blocks it is given, writes nothing (``articles.services`` writes the plan).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

from articles.models import Block
from articles.parsing import ParsedBlock

# Paragraphs whose text is at least this similar to the old text at the same
# place are treated as edits of that paragraph (they keep its key); below it,
# the old paragraph is removed and the new one gets a key of its own.
EDIT_SIMILARITY = 0.5


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
