"""Matching a new text's blocks to the stored ones, so that every paragraph keeps its stable key.

Pure: reads the blocks it is given, writes nothing (``articles.services`` writes the plan).

How alike two blocks are is measured on words, not characters: the share of
the longer text's words that the other keeps in the same order (``similarity``,
the measure ``annotations.anchoring.policy.SAME_PARAGRAPH`` uses for
whole-paragraph annotations). Character ratios say little about paragraphs:
two unrelated English paragraphs share letters everywhere, and the heading
"collection days" scores 0.56 against "reflection".
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass

from rapidfuzz.distance import Indel, LCSseq

from articles.models import Block
from articles.parsing import ParsedBlock

# The thresholds below are measured on the sample article
# (tests/articles/test_planning.py::test_thresholds_separate_edits_from_other_text), word-level:
# a typo scores 0.83-0.99, three words changed 0.75-0.98, a sentence added 0.40-0.94 (median 0.85;
# 0.40 for a nine-word sentence added to a six-word paragraph), a sentence removed 0.48-0.91, the
# larger half of a split 0.50-0.93; two different paragraphs of the sample at most 0.20, and an
# unrelated replacement heading ("collection days" for "reflection") 0.

# An old block and a new one in the same changed stretch (between the same unchanged neighbours) are
# the same block, edited, from this similarity on: it keeps its key. Below it, the old block is removed
# and the new one gets a key of its own. Sits between other text (<= 0.20) and the least similar edit
# (0.40); a split's larger half (>= 0.50) is above it.
EDIT_SIMILARITY = 0.35
# ...or, in the same changed stretch, when the characters are this alike (case folded): a typo in a
# short text, where one changed word is a large share of the words ("Reflection" -> "Reflections"
# 0.95). A typo scores 0.97 or more on the sample, two different paragraphs at most 0.50,
# "collection days" for "reflection" 0.56.
TYPO_SIMILARITY = 0.85
# A block that moved elsewhere (into another changed stretch) and was edited keeps its key only while
# it is recognisably the same paragraph: the same bar as a whole-paragraph annotation following it
# (SAME_PARAGRAPH), so a shared #p- link and a note on the paragraph go to the same place. With no
# position to support the match, it also needs three shared words: short similar-looking blocks
# ("Updated 10 am", "Updated 11 am") match by chance.
MOVED_SIMILARITY = 0.6
MOVED_MIN_SHARED_WORDS = 3

# A word: letters and digits, with inner apostrophes ("didn't"); case and curly apostrophes folded.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.replace("\u2019", "'").casefold())


def similarity(old: str, new: str) -> float:
    """Share (0-1) of the longer text's words that the other keeps in the same order."""
    return _similarity(words(old), words(new))[0]


def _similarity(a: list[str], b: list[str]) -> tuple[float, int]:
    """(similarity, number of shared words in order) of two word lists."""
    if not a and not b:
        return 1.0, 0
    if not a or not b:
        return 0.0, 0
    shared = LCSseq.similarity(a, b)
    return shared / max(len(a), len(b)), shared


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
       (difflib alignment); what is left falls into changed stretches.
    2. Blocks whose exact text moved elsewhere keep their rows and keys.
    3. The old and new blocks left are paired, most similar first (word-level
       ``similarity``; deterministic on ties): in the same changed stretch from
       ``EDIT_SIMILARITY`` on (or ``TYPO_SIMILARITY`` on characters), anywhere
       else from ``MOVED_SIMILARITY`` on, so a paragraph that moved and was
       edited keeps its key while it is recognisably the same paragraph. Most
       similar first also settles splits and merges: after a split the half
       holding the largest share of the old paragraph's words keeps its key
       (the earlier half on a tie); a merged paragraph keeps the key of the
       one that gave it most of its words.
    4. What is left: new text gets a new key (or the row of a block with that
       exact text removed earlier); old text no longer present is removed
       (marked, never deleted).

    Cost: step 3 compares every old block left with every new block left
    (word lists, bit-parallel), which stays small for articles of a few
    hundred blocks even when all of them changed.
    """
    taken = {b.key for b in existing} | {b.key for b in removed}
    old_seq = [(b.kind, b.text) for b in existing]
    new_seq = [(b.kind, b.text) for b in parsed_blocks]
    pairs: dict[int, int] = {}  # new index -> existing index
    stretch_of_old: dict[int, int] = {}  # existing index -> changed stretch
    stretch_of_new: dict[int, int] = {}  # new index -> changed stretch
    matcher = difflib.SequenceMatcher(None, old_seq, new_seq, autojunk=False)
    for stretch, (tag, i1, i2, j1, j2) in enumerate(matcher.get_opcodes()):
        if tag == "equal":
            pairs.update(zip(range(j1, j2), range(i1, i2), strict=True))
        else:
            stretch_of_old.update(dict.fromkeys(range(i1, i2), stretch))
            stretch_of_new.update(dict.fromkeys(range(j1, j2), stretch))

    # 2. exact text that moved
    used: set[int] = set()
    by_text: dict[tuple[str, str], list[int]] = {}
    for i in stretch_of_old:
        by_text.setdefault(old_seq[i], []).append(i)
    for j in stretch_of_new:
        candidates = by_text.get(new_seq[j])
        if candidates:
            i = candidates.pop(0)
            pairs[j] = i
            used.add(i)

    # 3. edits, in place or moved, most similar first
    for _, _, _, j, i in sorted(_candidates(existing, parsed_blocks, used, pairs, stretch_of_old, stretch_of_new)):
        if i in used or j in pairs:
            continue
        pairs[j] = i
        used.add(i)

    to_remove = [existing[i] for i in stretch_of_old if i not in used]
    revivable: dict[tuple[str, str], Block] = {}
    for block in removed:
        revivable.setdefault((block.kind, block.text), block)
    plan: list[BlockPlan] = []
    for j, new in enumerate(parsed_blocks):
        old = existing[pairs[j]] if j in pairs else revivable.pop((new.kind, new.text), None)
        key = old.key if old is not None else block_key(new.kind, new.text, taken)
        plan.append(BlockPlan(new.kind, new.text, j + 1, key=key, block=old))
    return plan, to_remove


def _candidates(
    existing: list[Block],
    parsed_blocks: list[ParsedBlock],
    used: set[int],
    pairs: dict[int, int],
    stretch_of_old: dict[int, int],
    stretch_of_new: dict[int, int],
) -> list[tuple[float, int, bool, int, int]]:
    """Every admissible (old, new) pairing of the blocks left, as sort keys: best first.

    Each is ``(-score, -shared words, not in the same stretch, new index, old index)``: the most similar
    pair first; on a tie, the one sharing more words, then the one in place, then reading order.
    """
    olds = [i for i in stretch_of_old if i not in used]
    news = [j for j in stretch_of_new if j not in pairs]
    old_words = {i: words(existing[i].text) for i in olds}
    new_words = {j: words(parsed_blocks[j].text) for j in news}
    found = []
    for i in olds:
        old = existing[i]
        a = old_words[i]
        for j in news:
            new = parsed_blocks[j]
            if new.kind != old.kind:
                continue
            b = new_words[j]
            in_place = stretch_of_old[i] == stretch_of_new[j]
            if not in_place:
                # cheap bound first: the similarity cannot exceed the shorter text's share of the longer
                if min(len(a), len(b)) < MOVED_SIMILARITY * max(len(a), len(b)):
                    continue
                score, shared = _similarity(a, b)
                if score < MOVED_SIMILARITY or shared < MOVED_MIN_SHARED_WORDS:
                    continue
            else:
                score, shared = _similarity(a, b)
                if score < EDIT_SIMILARITY:
                    score = Indel.normalized_similarity(old.text.casefold(), new.text.casefold())
                    if score < TYPO_SIMILARITY:
                        continue
            found.append((-score, -shared, not in_place, j, i))
    return found
