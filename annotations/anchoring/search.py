"""Candidate search for re-anchoring: where an annotation's words may stand in a new text (pure).

This module finds places; whether an annotation may go there is the
matcher's and the policy's (``annotations.anchoring.policy``) decision.

Where a quote is searched: its own paragraph when the key survives, then the
*changed* paragraphs (new, or with edited text) that stand where the
paragraph stood or that hold most of its old text's words in order (a split,
a merge, a move with edits). Unchanged paragraphs are never searched: they
cannot have received the text, and a short quote would find false friends
there.

Every candidate is scored against the words the author annotated (the
*reference*: the original quote), not the previous revision's quote, so that
drift cannot accumulate over revisions: ``similarity`` is rapidfuzz's
``fuzz.ratio`` (normalised Indel similarity, 0-100) of the typography-folded
texts. Fuzzy windows come from ``fuzz.partial_ratio_alignment``, whose ends
are then moved to maximise that ratio, kept to whole words, and widened to
cover the reference's words that still stand beside them (``cover``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq, Levenshtein

from annotations.anchoring.quotes import CONTEXT_LENGTH
from annotations.anchoring.wording import fold, folded, word_spans

# Two places whose context (prefix/suffix) scores differ by less than this are equally plausible.
CONTEXT_MARGIN = 5.0
# A changed paragraph received text of an old one when at least this share of the shorter
# one's words occur, in order, in the other (word-level longest common subsequence)...
DESTINATION_MIN_SHARE = 0.8
# ...and the shorter of the two texts has at least this many characters (a short heading
# whose words happen to occur in a long paragraph is not where the paragraph went).
DESTINATION_MIN_CHARS = 20
# Changed paragraphs this many places either side of a surviving paragraph are searched too.
NEIGHBOURS = 1
# At most this many changed paragraphs in the place of a removed one are searched.
MAX_IN_PLACE = 8
# How far (code points) the ends of a fuzzy window may move while refining it.
MAX_REACH = 60
# Matches scoring below this are not worth showing a moderator.
SUGGEST_MIN_SCORE = 50.0
# Words too common to widen a quote for (``cover``): they occur everywhere.
COMMON = frozenset(
    "a an the and or but of to in on at for by with from as is are was were be been it its this that these those "
    "we i you he she they our their his her my me us them".split()
)


@dataclass(frozen=True)
class Paragraph:
    key: str
    text: str
    heading: bool = False  # a heading: a change of capitals in it is typography


@dataclass(frozen=True)
class AnchorInput:
    """Where an annotation stood in the old text (offsets in code points), and what its author annotated.

    ``original``: the words the author annotated (or a moderator last
    confirmed), which candidates are scored against; empty means ``quote``.
    ``original_paragraph``: for a whole-paragraph annotation, the paragraph's
    text when it was annotated; None means its text before this revision.
    """

    id: int
    key: str
    quote: str = ""
    start: int | None = None
    end: int | None = None
    prefix: str = ""
    suffix: str = ""
    kind: str = "note"
    original: str = ""
    original_paragraph: str | None = None

    @property
    def reference(self) -> str:
        return self.original or self.quote


@dataclass(frozen=True)
class Match:
    key: str
    start: int
    end: int
    text: str
    score: float  # similarity of the reference and ``text``, 0-100 (100: equal but for typography)
    context: float = 0.0  # similarity of the stored prefix/suffix and the text around it, 0-100


@dataclass
class Texts:
    """The paragraphs before and after a revision, with the look-ups every anchor needs (computed once)."""

    old: list[Paragraph]
    new: list[Paragraph]
    earlier: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.old_text = {p.key: p.text for p in self.old}
        self.old_index = {p.key: i for i, p in enumerate(self.old)}
        self.new_text = {p.key: p.text for p in self.new}
        self.new_index = {p.key: i for i, p in enumerate(self.new)}
        self.headings = {p.key for p in self.new if p.heading} | {p.key for p in self.old if p.heading}
        self.changed = {p.key for p in self.new if self.old_text.get(p.key) != p.text}
        self._where: dict[str, tuple[list[Paragraph], set[str]]] = {}
        self._words: dict[str, list[str]] = {}

    def words(self, key: str) -> list[str]:
        if key not in self._words:
            self._words[key] = self.new_text[key].split()
        return self._words[key]

    def text_before(self, key: str) -> str | None:
        return self.old_text.get(key, self.earlier.get(key))

    def where_it_went(self, key: str) -> tuple[list[Paragraph], set[str]]:
        """Changed paragraphs, other than ``key`` itself, that may hold text of paragraph ``key``.

        Returns them in reading order, and the keys of those that hold a good
        part of its old text (the others only stand where it stood).
        """
        if key not in self._where:
            found: dict[str, Paragraph] = {p.key: p for p in self._in_its_place(key)}
            holders: set[str] = set()
            old = self.text_before(key)
            if old:
                old_words = old.split()
                for p in self.new:
                    if p.key == key or p.key not in self.changed:
                        continue
                    if min(len(old), len(p.text)) < min(DESTINATION_MIN_CHARS, len(old)):
                        continue
                    words = self.words(p.key)
                    shared = LCSseq.similarity(old_words, words)  # fast: bit-parallel over hashed words
                    if shared >= DESTINATION_MIN_SHARE * min(len(old_words), len(words)):
                        found[p.key] = p
                        holders.add(p.key)
            self._where[key] = (sorted(found.values(), key=lambda p: self.new_index[p.key]), holders)
        return self._where[key]

    def _in_its_place(self, key: str) -> list[Paragraph]:
        if key in self.new_index:
            i = self.new_index[key]
            indexes = range(max(0, i - NEIGHBOURS), min(len(self.new), i + NEIGHBOURS + 1))
        elif key in self.old_index:
            # between the nearest paragraphs before and after it that survived, both included
            i = self.old_index[key]
            before = next((self.new_index[p.key] for p in reversed(self.old[:i]) if p.key in self.new_index), -1)
            after = next((self.new_index[p.key] for p in self.old[i + 1 :] if p.key in self.new_index), len(self.new))
            lo, hi = min(before, after), max(before, after)
            indexes = range(max(0, lo), min(len(self.new), hi + 1))
            if len(indexes) > MAX_IN_PLACE:
                indexes = range(max(0, lo), max(0, lo) + MAX_IN_PLACE)
        else:  # removed in an earlier revision: it has no place, only its text
            return []
        return [self.new[j] for j in indexes if self.new[j].key != key and self.new[j].key in self.changed]


# ---------------------------------------------------------------- scoring


def similarity(reference: str, text: str) -> float:
    """How close ``text`` is to the reference, 0-100, typography and case folded (100: no visible word differs)."""
    return round(fuzz.ratio(folded(reference), folded(text)), 1)


def context_score(text: str, start: int, end: int, a: AnchorInput) -> float:
    """How well the stored prefix and suffix match the text around [start, end), 0-100.

    Each side compares as many characters as both have: a paragraph boundary
    (a split, a merge) cuts the context short without contradicting it. With
    nothing to compare on either side, nothing contradicts the match (100).
    """
    scores = []
    n = min(len(a.prefix), start, CONTEXT_LENGTH)
    if n:
        scores.append(fuzz.ratio(a.prefix[-n:], text[start - n : start]))
    n = min(len(a.suffix), len(text) - end, CONTEXT_LENGTH)
    if n:
        scores.append(fuzz.ratio(a.suffix[:n], text[end : end + n]))
    return sum(scores) / len(scores) if scores else 100.0


def with_context(m: Match, texts: Texts, a: AnchorInput) -> Match:
    return Match(m.key, m.start, m.end, m.text, m.score, context_score(texts.new_text[m.key], m.start, m.end, a))


# ---------------------------------------------------------------- finding


def exact(quote: str, p: Paragraph, reference: str) -> list[Match]:
    """Every occurrence of ``quote`` in the paragraph, exactly."""
    found, i = [], p.text.find(quote) if quote else -1
    while i != -1:
        found.append(Match(p.key, i, i + len(quote), quote, similarity(reference, quote)))
        i = p.text.find(quote, i + 1)
    return found


def exact_folded(reference: str, p: Paragraph) -> list[Match]:
    """Every occurrence of the reference in the paragraph, typography and case folded (mapped back to offsets)."""
    needle = folded(reference)
    if not needle:
        return []
    hay, where = fold(p.text)
    found, i = [], hay.find(needle)
    while i != -1:
        start, end = where[i], where[i + len(needle) - 1] + 1
        found.append(Match(p.key, start, end, p.text[start:end], similarity(reference, p.text[start:end])))
        i = hay.find(needle, i + 1)
    return found


def candidates_exact(a: AnchorInput, paragraphs: Sequence[Paragraph]) -> list[Match]:
    """The quote as it stands, or the reference, exactly or but for typography; overlapping finds counted once."""
    found: list[Match] = []
    for p in paragraphs:
        for m in [*exact(a.quote, p, a.reference), *exact(a.reference, p, a.reference), *exact_folded(a.reference, p)]:
            same = next((n for n in found if overlap(m, n)), None)
            if same is None:
                found.append(m)
            elif m.score > same.score:
                found[found.index(same)] = m
    return found


def fuzzy(reference: str, p: Paragraph, *, whole_words: tuple[bool, bool] = (True, True)) -> list[Match]:
    """The best window for the reference in the paragraph, and the best one not overlapping it."""
    found: list[Match] = []
    masked = p.text
    for _ in range(2):
        if not masked.strip("\x00"):
            break
        window = fuzz.partial_ratio_alignment(reference, masked)
        if window is None or window.score <= 0 or window.dest_end <= window.dest_start:
            break
        start, end = refine(reference, masked, window.dest_start, window.dest_end, whole_words=whole_words)
        start, end = cover(reference, p.text, start, end)
        score = similarity(reference, p.text[start:end])
        if score <= 0:
            break
        found.append(Match(p.key, start, end, p.text[start:end], score))
        # \x00 never occurs in article text, so the next search avoids this window
        masked = masked[:start] + "\x00" * (end - start) + masked[end:]
    return found


def refine(
    quote: str, text: str, start: int, end: int, *, whole_words: tuple[bool, bool] = (True, True)
) -> tuple[int, int]:
    """Move the window's ends to maximise ``fuzz.ratio`` with the quote (the quote's length may have changed).

    Where ``whole_words`` says so (for the start, for the end), an end that
    falls inside a word moves to that word's edge, whichever scores better: a
    quote that began or ended on a word boundary still does.
    """
    reach = min(MAX_REACH, max(4, len(quote) // 4))
    best = (fuzz.ratio(quote, text[start:end]), start, end)
    for _ in range(2):
        _, s0, e0 = best
        for s in sorted(range(max(0, s0 - reach), min(e0, s0 + reach + 1)), key=lambda s: abs(s - s0)):
            score = fuzz.ratio(quote, text[s:e0])
            if score > best[0]:
                best = (score, s, e0)
        _, s0, e0 = best
        for e in sorted(range(max(s0 + 1, e0 - reach), min(len(text), e0 + reach) + 1), key=lambda e: abs(e - e0)):
            score = fuzz.ratio(quote, text[s0:e])
            if score > best[0]:
                best = (score, s0, e)
    _, start, end = best
    if whole_words[0] and 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        left = start
        while left > 0 and text[left - 1].isalnum():
            left -= 1
        right = start
        while right < end and text[right].isalnum():
            right += 1
        start = max((left, right), key=lambda s: (fuzz.ratio(quote, text[s:end]), -abs(s - start)))
    if whole_words[1] and 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        right = end
        while right < len(text) and text[right].isalnum():
            right += 1
        left = end
        while left > start and text[left - 1].isalnum():
            left -= 1
        end = max((right, left), key=lambda e: (fuzz.ratio(quote, text[start:e]), -abs(e - end)))
    # no stray white space at the ends unless the quote has it
    while start < end and text[start].isspace() and not quote[:1].isspace():
        start += 1
    while end > start and text[end - 1].isspace() and not quote[-1:].isspace():
        end -= 1
    return start, end


def cover(reference: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to the reference's words that still stand just beside it: a quote is never trimmed.

    A window that maximises a character score can leave out a word at either
    end ("now they know" becoming "they know", or "now know" when the words
    were reordered); every word of the reference missing from the window that
    stands next to it is taken back in, word by word outwards, over at most one
    word the edit inserted (and never for a common word such as "the" across
    such a gap: it occurs everywhere).
    """
    spans = word_spans(text)
    inside = [k for k, (s, e, _) in enumerate(spans) if s < end and e > start]
    if not inside:
        return start, end
    ref = [w for _, _, w in word_spans(reference)]
    missing = Counter(ref) - Counter(spans[k][2] for k in inside)
    if not missing:
        return start, end
    for step, first in ((-1, inside[0] - 1), (1, inside[-1] + 1)):
        k, gap = first, 0
        while 0 <= k < len(spans) and sum(missing.values()):
            word = spans[k][2]
            if missing[word] > 0 and (gap == 0 or word not in COMMON):
                missing[word] -= 1
                gap = 0
                if step < 0:
                    start = min(start, spans[k][0])
                else:
                    end = max(end, spans[k][1])
            elif gap == 0:
                gap = 1
            else:
                break
            k += step
    return start, end


def whole_words(a: AnchorInput) -> tuple[bool, bool]:
    """Whether the quote began, and ended, on a word boundary (not inside a word)."""
    cut_start = a.prefix[-1:].isalnum() and a.quote[:1].isalnum()
    cut_end = a.suffix[:1].isalnum() and a.quote[-1:].isalnum()
    return not cut_start, not cut_end


def choose(candidates: list[Match], a: AnchorInput, mapped: int | None) -> Match | None:
    """The one plausible place among ``candidates``, or None when it would be a guess."""
    if len(candidates) == 1:
        return candidates[0]
    ranked = sorted(candidates, key=lambda m: -m.context)
    tied = [m for m in ranked if ranked[0].context - m.context < CONTEXT_MARGIN]
    if len(tied) == 1:
        return tied[0]
    # equally plausible by their context: the stored offsets, or where the edit moved them, decide
    for m in tied:
        if m.key == a.key and m.start in {a.start, mapped}:
            return m
    return None


def mapped_start(texts: Texts, a: AnchorInput) -> int | None:
    """Where the old start offset lands in the paragraph's new text, through the edit."""
    before, now = texts.text_before(a.key), texts.new_text.get(a.key)
    if before is None or now is None or a.start is None:
        return None
    for op in Levenshtein.opcodes(before, now):
        if op.src_start <= a.start < op.src_end:
            return op.dest_start + (a.start - op.src_start if op.tag == "equal" else 0)
    return len(now) if a.start >= len(before) else None


def overlap(m: Match, n: Match) -> bool:
    return m.key == n.key and m.start < n.end and n.start < m.end


def suggest(
    *, quote: str, prefix: str = "", suffix: str = "", paragraphs: Sequence[Paragraph], limit: int = 3
) -> list[Match]:
    """The best places for ``quote`` among ``paragraphs``, best first (for a moderator to choose from)."""
    if not quote:
        return []
    probe = AnchorInput(id=0, key="", quote=quote, prefix=prefix, suffix=suffix)
    ends = whole_words(probe)
    found = [m for p in paragraphs for m in (exact(quote, p, quote) or fuzzy(quote, p, whole_words=ends))]
    found = [m for m in found if m.score >= SUGGEST_MIN_SCORE]
    text_of = {p.key: p.text for p in paragraphs}
    found = [
        Match(m.key, m.start, m.end, m.text, m.score, context_score(text_of[m.key], m.start, m.end, probe))
        for m in found
    ]
    found.sort(key=lambda m: (-m.score, -m.context))
    return found[:limit]
