"""Aligning a republished copy with its original, block by block (pure: no Django, no database).

``align(copy, original)`` pairs the copy's blocks (paragraph texts, in reading order) with the original's
and says, for each pair, what happened to the text:

* ``same``: the same text (whitespace aside);
* ``reworded``: one block each, with different wording (punctuation or case only: drift 0);
* ``split``: one original block became several consecutive blocks of the copy;
* ``merged``: several consecutive original blocks became one block of the copy;
* ``added``: a copy block with no counterpart (added by the republisher);
* ``omitted``: an original block with no counterpart (left out of the copy);
* ``moved``: a copy block paired with an original block out of order (a reordered paragraph, usually
  reworded too: see its drift).

How: a dynamic-programming alignment in reading order (Needleman-Wunsch with the Gale-Church moves 1-1,
2-1, 1-2, 1-0, 0-1) maximises the sum of ``similarity - MATCH_SIMILARITY`` over paired blocks, so two
blocks are paired only when they are more alike than unrelated text usually is and their order agrees.
An order-keeping alignment cannot pair a moved paragraph, so a second pass pairs the blocks it left
added and omitted, most similar first, from ``MOVED_SIMILARITY`` on (``moved``).

Similarity is measured on words (case folded, punctuation ignored): the Indel similarity of the two word
sequences, 2 x (words shared in order) / (words in both), computed by RapidFuzz on strings in which each
distinct word is one character. Character ratios say little about paragraphs (see ``articles.planning``).

Cost: the similarity of every copy block with every original block (n x m RapidFuzz calls, about a
microsecond each; ``rapidfuzz.process.cdist`` would need numpy, which the project does not install).
Blocks whose text is identical and unique on both sides are fixed first and cut the alignment into
independent stretches; each stretch's table holds at most ``MAX_CELLS`` cells: beyond that only a band
around the diagonal implied by cumulative word counts (Gale-Church) is filled in. ``bench/alignment.py``
times it.

Editors' ``corrections`` are fixed links the aligner respects, filling in the rest around them. They can
name blocks by position or by stable key (``copy_keys``/``original_keys``, e.g. ``Block.key``), so that a
correction made before an edit still holds after it; a correction naming a key that is gone, or one that
no longer makes sense (blocks no longer consecutive, a block already claimed), is dropped and reported in
``Alignment.dropped``, never guessed.

Cross-language seam: ``similarity`` is pluggable. A plain ``(str, str) -> float`` (0-1) works as is
(pairwise, slower); an object with ``prepare(copy, original)`` returning a ``Scores`` can be faster. An
aligner for a copy in another language than its original would pass a similarity over sentence
embeddings from a multilingual model (cosine of LaBSE/LASER-style vectors, computed once per block), or
translate the copy first (machine translation) and keep this word similarity; in both cases the
thresholds below must be measured again on real pairs, and drift then means "meaning drift", not words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rapidfuzz.distance import Indel, LCSseq

SAME = "same"
REWORDED = "reworded"
SPLIT = "split"
MERGED = "merged"
ADDED = "added"
OMITTED = "omitted"
MOVED = "moved"
KINDS = (SAME, REWORDED, SPLIT, MERGED, ADDED, OMITTED, MOVED)

# Thresholds, word-level Indel similarity, measured on the sample (tests/articles/test_alignment.py::
# test_thresholds_on_the_sample): two different blocks of the sample score at most 0.22 (function words
# are shared everywhere), 95% of them under 0.16.
NOISE = 0.25
# Two blocks in order are paired from this similarity on (each pair adds similarity - MATCH_SIMILARITY to
# the alignment's score, leaving both blocks out adds 0): above NOISE, below a reworded paragraph.
MATCH_SIMILARITY = 0.35
# A split or a merge costs this much more than a 1-1 pair, so that a block followed by an added one stays
# a 1-1 pair plus an added block unless the two together are clearly closer to the original.
GROUP_PENALTY = 0.05
# Out of order, with no position to support the match, a pair must be recognisably the same paragraph
# (the bar articles.planning uses for a moved block) and share a few words: short look-alike blocks
# ("Updated 10 am", "Updated 11 am") match by chance.
MOVED_SIMILARITY = 0.6
MOVED_MIN_SHARED_WORDS = 3
# A stretch's dynamic-programming table holds at most this many cells; beyond, a band around the
# diagonal (about 0.1 s of Python per 100,000 cells).
MAX_CELLS = 200_000
# When an editor's link and identical paragraphs cannot all keep their order, the link counts as much as
# this many identical paragraphs: it wins against one, and becomes a moved pair against two or more.
CORRECTION_WEIGHT = 1.5

# A word: letters and digits, with inner apostrophes ("didn't"); case and curly apostrophes folded.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.replace("\u2019", "'").casefold())


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Pair:
    """One row of an alignment: blocks of the copy and of the original (indices), and what happened.

    ``confidence`` (0-1) says how sure the aligner is of this row: 1 for identical text and editors'
    corrections; for a pairing, how far its similarity stands above unrelated text and above the next best
    candidate for the same blocks; for an added or omitted block, how far its best match elsewhere stays
    below the pairing threshold. ``drift`` is 1 - similarity of the two sides' words (0 identical words,
    1 nothing in common; 1 for added and omitted blocks). ``fixed``: set by an editor's correction.
    """

    kind: str
    copy: tuple[int, ...]
    original: tuple[int, ...]
    confidence: float
    drift: float
    fixed: bool = False


@dataclass(frozen=True)
class Correction:
    """An editor's fixed link: copy block(s) with original block(s), by index (int) or stable key (str).

    One copy block with one or more consecutive original blocks, or consecutive copy blocks with one
    original block; ``original=()`` marks copy blocks added, ``copy=()`` marks original blocks omitted.
    """

    copy: tuple[int | str, ...] = ()
    original: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class Dropped:
    correction: Correction
    reason: str


@dataclass
class Alignment:
    """The pairs in reading order (copy order; original order too, except ``moved`` pairs) and the
    corrections that could not be applied, with why."""

    pairs: list[Pair]
    dropped: list[Dropped] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(KINDS, 0)
        for pair in self.pairs:
            found[pair.kind] += 1
        return found


# ---------------------------------------------------------------- similarity


class Scores(Protocol):
    matrix: list[list[float]]  # matrix[i][j]: copy block i with original block j, 0-1

    def group(self, copy: Sequence[int], original: Sequence[int], floor: float) -> float | None:
        """Similarity of the joined copy blocks with the joined original blocks; None when it cannot
        exceed ``floor`` (a cheap bound may skip the work)."""


class Similarity(Protocol):
    def prepare(self, copy: Sequence[str], original: Sequence[str]) -> Scores: ...


class WordScores:
    def __init__(self, copy: Sequence[str], original: Sequence[str]) -> None:
        vocabulary: dict[str, str] = {}

        def encode(text: str) -> str:
            # one character per distinct word (skipping the surrogates), so RapidFuzz compares words
            out = []
            for word in words(text):
                char = vocabulary.get(word)
                if char is None:
                    n = len(vocabulary) + 1
                    char = vocabulary[word] = chr(n if n < 0xD800 else n + 0x800)
                out.append(char)
            return "".join(out)

        self.copy = [encode(t) for t in copy]
        self.original = [encode(t) for t in original]
        similarity = Indel.normalized_similarity
        self.matrix = [[similarity(a, b) for b in self.original] for a in self.copy]
        # words shared in order, from the similarity: 2 x shared / (len a + len b)
        self.copy_sizes = [len(a) for a in self.copy]
        self.original_sizes = [len(b) for b in self.original]
        self.shared = [
            [s * (size + other) / 2 for s, other in zip(row, self.original_sizes, strict=True)]
            for row, size in zip(self.matrix, self.copy_sizes, strict=True)
        ]

    def group(self, copy: Sequence[int], original: Sequence[int], floor: float) -> float | None:
        # the words the joined texts share in order are at most the sum over their parts: skip the
        # comparison when even that cannot pass the floor (most cells of the table)
        total = 0
        for i in copy:
            total += self.copy_sizes[i]
        for j in original:
            total += self.original_sizes[j]
        if not total:
            return 1.0
        bound = 0.0
        for i in copy:
            row = self.shared[i]
            for j in original:
                bound += row[j]
        if 2 * bound / total <= floor:
            return None
        return Indel.normalized_similarity(
            "".join(self.copy[i] for i in copy), "".join(self.original[j] for j in original)
        )


class WordSimilarity:
    """The default: word-level Indel similarity (see the module docstring)."""

    def prepare(self, copy: Sequence[str], original: Sequence[str]) -> Scores:
        return WordScores(copy, original)


class PairwiseScores:
    """Scores from any ``(str, str) -> float`` function; groups are joined with a blank line."""

    def __init__(self, function: Callable[[str, str], float], copy: Sequence[str], original: Sequence[str]):
        self.function, self.copy, self.original = function, copy, original
        self.matrix = [[_clamp(function(a, b)) for b in original] for a in copy]

    def group(self, copy: Sequence[int], original: Sequence[int], floor: float) -> float | None:
        return _clamp(
            self.function("\n\n".join(self.copy[i] for i in copy), "\n\n".join(self.original[j] for j in original))
        )


def _scores(similarity: Similarity | Callable[[str, str], float], copy, original) -> Scores:
    if hasattr(similarity, "prepare"):
        return similarity.prepare(copy, original)
    return PairwiseScores(similarity, copy, original)


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


def _normal(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- corrections


@dataclass(frozen=True)
class _Link:
    copy: tuple[int, ...]
    original: tuple[int, ...]
    correction: Correction


def _resolve(
    corrections: Sequence[Correction],
    n: int,
    m: int,
    copy_keys: Sequence[Hashable] | None,
    original_keys: Sequence[Hashable] | None,
) -> tuple[list[_Link], list[Dropped]]:
    """Corrections as index links; those that cannot apply, with why (first come, first served)."""
    copy_at = {k: i for i, k in enumerate(copy_keys)} if copy_keys is not None else {}
    original_at = {k: j for j, k in enumerate(original_keys)} if original_keys is not None else {}
    links: list[_Link] = []
    dropped: list[Dropped] = []
    claimed_copy: set[int] = set()
    claimed_original: set[int] = set()

    def index(ref, size: int, at: dict, side: str) -> int | str:
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            return f"{side} reference {ref!r} is neither a position nor a key"
        if isinstance(ref, str):
            if ref not in at:
                return f"{side} block {ref!r} no longer exists"
            return at[ref]
        if not 0 <= ref < size:
            return f"{side} position {ref} is out of range"
        return ref

    for correction in corrections:
        cs = [index(r, n, copy_at, "copy") for r in correction.copy]
        os = [index(r, m, original_at, "original") for r in correction.original]
        problems = [x for x in cs + os if isinstance(x, str)]
        cs, os = sorted(set(cs)), sorted(set(os))
        if problems:
            reason = "; ".join(problems)
        elif not cs and not os:
            reason = "names no block"
        elif len(cs) > 1 and len(os) > 1:
            reason = "links several copy blocks with several original blocks"
        elif any(b != a + 1 for side in (cs, os) for a, b in zip(side, side[1:], strict=False)):
            reason = "its blocks are no longer consecutive"
        elif claimed_copy.intersection(cs) or claimed_original.intersection(os):
            reason = "a block it names is already in an earlier correction"
        else:
            claimed_copy.update(cs)
            claimed_original.update(os)
            links.append(_Link(tuple(cs), tuple(os), correction))
            continue
        dropped.append(Dropped(correction, reason))
    return links, dropped


def _chain(boxes: Sequence[tuple[int, int, int, int]], weights: Sequence[float]) -> list[int]:
    """Indices of the heaviest set of boxes (copy first, copy last, original first, original last; no two
    sharing a block) in order on both sides: a weighted longest increasing subsequence, O(k log k) with a
    Fenwick tree of the best chain ending at each original position."""
    if not boxes:
        return []
    size = max(box[3] for box in boxes) + 2
    tree_value = [0.0] * (size + 1)
    tree_at = [-1] * (size + 1)

    def best_before(position: int) -> tuple[float, int]:  # best chain ending before original `position`
        value, at, k = 0.0, -1, position
        while k > 0:
            if tree_value[k] > value:
                value, at = tree_value[k], tree_at[k]
            k -= k & -k
        return value, at

    def record(position: int, value: float, at: int) -> None:
        k = position + 1
        while k <= size:
            if value > tree_value[k]:
                tree_value[k], tree_at[k] = value, at
            k += k & -k

    previous: dict[int, int] = {}
    total: dict[int, float] = {}
    # by copy position (boxes share no block, so an earlier box ends before a later one starts); the
    # heavier box first on a tie, so that equal chains prefer corrections
    for k in sorted(range(len(boxes)), key=lambda k: (boxes[k][0], -weights[k])):
        value, at = best_before(boxes[k][2])
        previous[k], total[k] = at, value + weights[k]
        record(boxes[k][3], total[k], k)
    k = max(total, key=lambda k: (total[k], -boxes[k][0]))
    chain = []
    while k != -1:
        chain.append(k)
        k = previous[k]
    return chain[::-1]


# ---------------------------------------------------------------- alignment


def align(
    copy: Sequence[str],
    original: Sequence[str],
    *,
    similarity: Similarity | Callable[[str, str], float] | None = None,
    corrections: Sequence[Correction] = (),
    copy_keys: Sequence[Hashable] | None = None,
    original_keys: Sequence[Hashable] | None = None,
) -> Alignment:
    """Align the copy's block texts with the original's (see the module docstring).

    Every block of both texts is in exactly one pair. ``copy_keys``/``original_keys``, when given, are
    the blocks' stable keys (same length as the texts), which corrections may name instead of positions.
    """
    n, m = len(copy), len(original)
    for keys, size, side in ((copy_keys, n, "copy"), (original_keys, m, "original")):
        if keys is not None and len(keys) != size:
            raise ValueError(f"{side}_keys has {len(keys)} keys for {size} blocks")
    scores = _scores(similarity or WordSimilarity(), copy, original)
    links, dropped = _resolve(corrections, n, m, copy_keys, original_keys)

    # Anchors cut the alignment into independent stretches: the corrections linking both sides, and
    # identical text unique on both sides, the largest set of them in order on both sides (a correction
    # counts for CORRECTION_WEIGHT identical blocks). A correction left out crosses the others: an
    # editor's moved pair. Identical blocks left out go to the alignment like the others.
    linking = [link for link in links if link.copy and link.original]
    claimed_copy = {i for lk in links for i in lk.copy}
    claimed_original = {j for lk in links for j in lk.original}
    free_copy = [i for i in range(n) if i not in claimed_copy]
    free_original = [j for j in range(m) if j not in claimed_original]
    exact = _unique_identical(copy, original, free_copy, free_original)
    boxes = [(lk.copy[0], lk.copy[-1], lk.original[0], lk.original[-1]) for lk in linking]
    boxes += [(i, i, j, j) for i, j in exact]
    # Between sets of identical paragraphs as large as one another, the one nearer the diagonal (each
    # paragraph's relative place in the two texts) anchors: a paragraph moved far is the one that moved, and
    # its in-order neighbours stay in order. The nudge is below 1 / (blocks) in all, so it only breaks ties.
    nudge = 1.0 / (4 * (n + m + 1) ** 2)
    weights = [CORRECTION_WEIGHT] * len(linking) + [
        1.0 - nudge * abs(i * (m + 1) - j * (n + 1)) / max(n, m, 1) for i, j in exact
    ]
    kept = set(_chain(boxes, weights))
    moved_links = [link for k, link in enumerate(linking) if k not in kept]
    fixed_boxes = sorted(boxes[k] for k in kept)
    link_of = {boxes[k]: linking[k] for k in kept if k < len(linking)}
    # blocks the editors marked added or omitted, or linked out of order, are never paired by the aligner
    barred_copy = {i for lk in links if lk.copy and lk not in link_of.values() for i in lk.copy}
    barred_original = {j for lk in links if lk.original and lk not in link_of.values() for j in lk.original}

    rows: list[Pair] = []
    ci = oj = 0
    for box in [*fixed_boxes, (n, n - 1, m, m - 1)]:
        rows += _stretch(scores, copy, original, range(ci, box[0]), range(oj, box[2]), barred_copy, barred_original)
        if box[0] < n:
            cs, os = tuple(range(box[0], box[1] + 1)), tuple(range(box[2], box[3] + 1))
            link = link_of.get(box)
            rows.append(_pair(scores, copy, original, cs, os, fixed=link is not None))
        ci, oj = box[1] + 1, box[3] + 1

    # Editors' added/omitted marks, then moved pairs: the editors' crossing links, then the blocks left out.
    marked_copy = {i for lk in links if not lk.original for i in lk.copy}
    marked_original = {j for lk in links if not lk.copy for j in lk.original}
    rows = [
        Pair(r.kind, r.copy, r.original, 1.0, r.drift, fixed=True)
        if (r.kind == ADDED and r.copy[0] in marked_copy) or (r.kind == OMITTED and r.original[0] in marked_original)
        else r
        for r in rows
    ]
    for link in moved_links:
        rows = _place(rows, _pair(scores, copy, original, link.copy, link.original, fixed=True, moved=True))
    for pair in _moved(scores, copy, original, rows):
        rows = _place(rows, pair)
    return Alignment(rows, dropped)


def _unique_identical(copy, original, free_copy, free_original) -> list[tuple[int, int]]:
    seen_copy: dict[str, list[int]] = {}
    for i in free_copy:
        seen_copy.setdefault(_normal(copy[i]), []).append(i)
    seen_original: dict[str, list[int]] = {}
    for j in free_original:
        seen_original.setdefault(_normal(original[j]), []).append(j)
    return sorted(
        (found[0], seen_original[text][0])
        for text, found in seen_copy.items()
        if text and len(found) == 1 and len(seen_original.get(text, ())) == 1
    )


def _stretch(scores: Scores, copy, original, cs: range, os: range, barred_copy, barred_original) -> list[Pair]:
    """The order-keeping alignment of copy blocks ``cs`` with original blocks ``os`` (dynamic programming,
    in a band when the table would pass MAX_CELLS); barred blocks are left unpaired (corrections)."""
    n, m = len(cs), len(os)
    if not n or not m:
        return [_pair(scores, copy, original, (i,), ()) for i in cs] + [
            _pair(scores, copy, original, (), (j,)) for j in os
        ]
    matrix = scores.matrix
    lo, hi = _band(scores, cs, os)
    minus = float("-inf")
    best: list[list[float]] = []
    move: list[
        list[int]
    ] = []  # 0 pair, 1 split (2 copy, 1 original), 2 merged (1 copy, 2 original), 3 added, 4 omitted
    for a in range(n + 1):
        row_best = [minus] * (hi[a] - lo[a] + 1)
        row_move = [0] * len(row_best)
        up_best = best[a - 1] if a else None
        up_lo = lo[a - 1] if a else 0
        up_hi = hi[a - 1] if a else -1
        up2_best = best[a - 2] if a > 1 else None
        up2_lo = lo[a - 2] if a > 1 else 0
        up2_hi = hi[a - 2] if a > 1 else -1
        i = cs.start + a - 1  # the copy block this row consumes
        open_i = a and i not in barred_copy
        open_i2 = a > 1 and open_i and (i - 1) not in barred_copy
        for b in range(lo[a], hi[a] + 1):
            if a == 0 and b == 0:
                row_best[0] = 0.0
                continue
            j = os.start + b - 1
            open_j = b and j not in barred_original
            value, how = minus, 0
            if open_i and open_j and up_lo <= b - 1 <= up_hi:
                v = up_best[b - 1 - up_lo] + matrix[i][j] - MATCH_SIMILARITY
                if v > value:
                    value, how = v, 0
            if open_i2 and open_j and up2_lo <= b - 1 <= up2_hi:
                base = up2_best[b - 1 - up2_lo]
                if base > minus:
                    s = scores.group((i - 1, i), (j,), MATCH_SIMILARITY + GROUP_PENALTY)
                    if s is not None and base + s - MATCH_SIMILARITY - GROUP_PENALTY > value:
                        value, how = base + s - MATCH_SIMILARITY - GROUP_PENALTY, 1
            if open_i and b > 1 and open_j and (j - 1) not in barred_original and up_lo <= b - 2 <= up_hi:
                base = up_best[b - 2 - up_lo]
                if base > minus:
                    s = scores.group((i,), (j - 1, j), MATCH_SIMILARITY + GROUP_PENALTY)
                    if s is not None and base + s - MATCH_SIMILARITY - GROUP_PENALTY > value:
                        value, how = base + s - MATCH_SIMILARITY - GROUP_PENALTY, 2
            if a and up_lo <= b <= up_hi and up_best[b - up_lo] > value:
                value, how = up_best[b - up_lo], 3
            if b > lo[a] and row_best[b - 1 - lo[a]] > value:
                value, how = row_best[b - 1 - lo[a]], 4
            row_best[b - lo[a]], row_move[b - lo[a]] = value, how
        best.append(row_best)
        move.append(row_move)

    steps = {0: (1, 1), 1: (2, 1), 2: (1, 2), 3: (1, 0), 4: (0, 1)}
    out: list[Pair] = []
    a, b = n, m
    while a or b:
        da, db = steps[move[a][b - lo[a]]]
        c = tuple(range(cs.start + a - da, cs.start + a))
        o = tuple(range(os.start + b - db, os.start + b))
        out.append(_pair(scores, copy, original, c, o))
        a, b = a - da, b - db
    return out[::-1]


def _band(scores: Scores, cs: range, os: range) -> tuple[list[int], list[int]]:
    """For each row of the table (copy blocks consumed, 0..n), the first and last column filled in:
    all of them while the table stays under MAX_CELLS, else a band around the diagonal along which the
    copy's and the original's cumulative word counts (their share of the stretch) grow together."""
    n, m = len(cs), len(os)
    if (n + 1) * (m + 1) <= MAX_CELLS:
        return [0] * (n + 1), [m] * (n + 1)
    width = max(2, MAX_CELLS // (2 * (n + 1)))
    size_c = [len(x) + 1 for x in _texts(scores, "copy", cs)]
    size_o = [len(x) + 1 for x in _texts(scores, "original", os)]
    total_c, total_o = sum(size_c), sum(size_o)
    cumulative_o, running = [], 0
    for s in size_o:
        running += s
        cumulative_o.append(running / total_o)
    lo, hi, running = [], [], 0
    for a in range(n + 1):
        share = running / total_c
        centre = m if a == n else bisect.bisect_left(cumulative_o, share)
        first, last = max(0, centre - width), min(m, centre + width)
        if a == 0:
            first = 0
        if a == n:
            last = m
        if lo:
            first = min(first, hi[-1])  # each row overlaps the one above, so a path always exists
            last = max(last, hi[-1])
        lo.append(first)
        hi.append(last)
        if a < n:
            running += size_c[a]
    return lo, hi


def _texts(scores: Scores, side: str, indices: range) -> list:
    texts = getattr(scores, side, None)
    if texts is None:
        return [""] * len(indices)
    return [texts[k] for k in indices]


def _pair(scores: Scores, copy, original, cs, os, *, fixed: bool = False, moved: bool = False) -> Pair:
    cs, os = tuple(cs), tuple(os)
    matrix = scores.matrix
    if not os or not cs:
        # how far the block's best match on the other side stays below the pairing threshold
        if not os:
            best = max(matrix[cs[0]], default=0.0)
        else:
            best = max((row[os[0]] for row in matrix), default=0.0)
        confidence = 1.0 if fixed else _clamp((MATCH_SIMILARITY - best) / (MATCH_SIMILARITY - NOISE))
        return Pair(OMITTED if os else ADDED, cs, os, round(confidence, 3), 1.0, fixed)
    if len(cs) == 1 and len(os) == 1:
        s = matrix[cs[0]][os[0]]
    else:
        s = scores.group(cs, os, -1.0)
    if moved:
        kind = MOVED
    elif len(cs) > 1:
        kind = SPLIT
    elif len(os) > 1:
        kind = MERGED
    elif _normal(copy[cs[0]]) == _normal(original[os[0]]):
        kind = SAME
    else:
        kind = REWORDED
    if fixed or kind == SAME:
        confidence = 1.0
    else:
        # how far the pair stands above unrelated text and above the best rival of each of its blocks
        rival = max(
            [matrix[i][j] for i in cs for j in range(len(matrix[i])) if j not in os]
            + [matrix[i][j] for j in os for i in range(len(matrix)) if i not in cs]
            + [NOISE]
        )
        confidence = _clamp((s - rival) / (1 - NOISE))
    drift = 0.0 if kind == SAME else round(1 - s, 3)
    return Pair(kind, cs, os, round(confidence, 3), drift, fixed)


def _moved(scores: Scores, copy, original, rows: list[Pair]) -> list[Pair]:
    """Blocks left added and omitted (not by an editor) paired out of order, most similar first."""
    added = [r.copy[0] for r in rows if r.kind == ADDED and not r.fixed]
    omitted = [r.original[0] for r in rows if r.kind == OMITTED and not r.fixed]
    matrix = scores.matrix
    candidates = sorted((-matrix[i][j], i, j) for i in added for j in omitted if matrix[i][j] >= MOVED_SIMILARITY)
    found, used_i, used_j = [], set(), set()
    for _, i, j in candidates:
        if i in used_i or j in used_j:
            continue
        if LCSseq.similarity(words(copy[i]), words(original[j])) < MOVED_MIN_SHARED_WORDS:
            continue
        used_i.add(i)
        used_j.add(j)
        found.append(_pair(scores, copy, original, (i,), (j,), moved=True))
    return found


def _place(rows: list[Pair], pair: Pair) -> list[Pair]:
    """``rows`` with the added/omitted rows of ``pair``'s blocks replaced by ``pair``, where its first
    copy block was."""
    out: list[Pair] = []
    for row in rows:
        if row.copy and row.copy[0] == pair.copy[0] and not row.original:
            out.append(pair)
        elif (row.copy and not row.original and row.copy[0] in pair.copy) or (
            row.original and not row.copy and row.original[0] in pair.original
        ):
            continue
        else:
            out.append(row)
    return out
