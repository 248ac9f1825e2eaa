"""Re-anchoring annotations after an article's paragraphs change (pure: no ORM, no database).

Given the paragraphs before and after a revision (text by stable key, in
reading order) and the anchors of annotations (paragraph key, quote, offsets in
code points, prefix/suffix context), ``reanchor`` decides for each annotation:

* **kept**: its paragraph is unchanged, or its quote still stands at the same
  offsets; an annotation without a quote follows its paragraph's key;
* **moved**: the quote was found again elsewhere: exactly (when it occurs more
  than once, the stored prefix/suffix pick the occurrence), else by a fuzzy
  match whose score is at least ``min_score``;
* **flagged**: it cannot be placed with confidence (the best match scores
  below ``min_score``, or two places are equally good). Never guessed: a
  moderator re-attaches it;
* **orphaned**: its paragraph was removed and no changed paragraph took its
  place or its text.

Where the quote is searched: its own paragraph when the key survives (first,
and alone when the quote occurs there once, where the edit put it or amid its
old context), then also the *changed* paragraphs (new, or with edited text)
that stand where the paragraph stood or that hold most of its old text's words
in order (a split, a merge, a move with edits). Unchanged paragraphs are never
searched: they cannot have received the text, and a short quote would find
false friends there.

Fuzzy matching uses rapidfuzz: ``fuzz.partial_ratio_alignment`` locates the
best window, whose ends are then moved to maximise ``fuzz.ratio`` (normalised
Indel similarity, 0-100). That ratio between the stored quote and the text
found is the confidence score.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq, Levenshtein

from annotations.anchoring.quotes import CONTEXT_LENGTH

DEFAULT_MIN_SCORE = 85.0  # typo and wording fixes score 90+; a changed meaning scores around 80
# Two places whose context (prefix/suffix) scores differ by less than this are equally plausible.
CONTEXT_MARGIN = 5.0
# Two fuzzy matches whose scores differ by less than this are equally good.
FUZZY_MARGIN = 3.0
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
# A match is only taken on its context (prefix/suffix at least this similar) when it is
# in a paragraph that merely stands near the old one, or when the quote is shorter than
# SHORT_QUOTE and the match is not where the old offsets lead: a short phrase occurs
# in many places, and taking any of them would be a guess.
CONTEXT_SUPPORT = 60.0
SHORT_QUOTE = 20


class Outcome(enum.StrEnum):
    KEPT = "kept"
    MOVED = "moved"
    FLAGGED = "flagged"
    ORPHANED = "orphaned"


class Method(enum.StrEnum):
    UNCHANGED = "unchanged"  # the paragraph did not change
    FOLLOWS_PARAGRAPH = "follows_paragraph"  # no quote: follows its paragraph's key
    EXACT_AT_OFFSETS = "exact_at_offsets"  # the quote still stands at its offsets
    EXACT = "exact"  # the quote found elsewhere, exactly
    FUZZY = "fuzzy"  # a close match, at or above the threshold
    AMBIGUOUS = "ambiguous"  # equally good places: not guessed
    LOW_SCORE = "low_score"  # the best match is below the threshold
    WEAK_CONTEXT = "weak_context"  # found only where the words around it do not match: not guessed
    REMOVED = "removed"  # the paragraph was removed and nothing took its place


@dataclass(frozen=True)
class Paragraph:
    key: str
    text: str


@dataclass(frozen=True)
class AnchorInput:
    """Where an annotation stood in the old text (offsets in code points)."""

    id: int
    key: str
    quote: str = ""
    start: int | None = None
    end: int | None = None
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Match:
    key: str
    start: int
    end: int
    text: str
    score: float  # similarity of the quote and ``text``, 0-100 (100: exact)
    context: float = 0.0  # similarity of the stored prefix/suffix and the text around it, 0-100


@dataclass(frozen=True)
class Result:
    id: int
    outcome: Outcome
    method: Method
    key: str  # the paragraph it is anchored to now (the old one when flagged or orphaned)
    quote: str = ""  # the text at [start, end) of that paragraph's new text (the old quote when not placed)
    start: int | None = None
    end: int | None = None
    prefix: str = ""
    suffix: str = ""
    score: float | None = None  # confidence of the placement; for flagged, of the best rejected match
    paragraph_changed: bool = False  # the annotation's own paragraph changed (or went)
    best: Match | None = None  # flagged: the best place found, for the moderator
    detail: str = ""  # one line for people (logs, admin)

    @property
    def placed(self) -> bool:
        return self.outcome in (Outcome.KEPT, Outcome.MOVED)


@dataclass
class _Texts:
    old: list[Paragraph]
    new: list[Paragraph]
    earlier: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.old_text = {p.key: p.text for p in self.old}
        self.old_index = {p.key: i for i, p in enumerate(self.old)}
        self.new_text = {p.key: p.text for p in self.new}
        self.new_index = {p.key: i for i, p in enumerate(self.new)}
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


def reanchor(
    *,
    old: Sequence[Paragraph],
    new: Sequence[Paragraph],
    anchors: Iterable[AnchorInput],
    min_score: float = DEFAULT_MIN_SCORE,
    earlier: Mapping[str, str] | None = None,
) -> list[Result]:
    """Place every anchor in the new text; one ``Result`` per anchor, in order.

    ``old`` and ``new`` are the paragraphs before and after, in reading order
    (keys unique). ``earlier`` gives the last text of paragraphs removed before
    this revision that some anchors still point at (orphans given another
    chance). Cost: linear in the paragraphs for anchors whose paragraph is
    unchanged; a few rapidfuzz calls per changed paragraph searched otherwise.
    """
    texts = _Texts(list(old), list(new), earlier or {})
    return [_place(texts, anchor, min_score) for anchor in anchors]


def _place(texts: _Texts, a: AnchorInput, min_score: float) -> Result:
    before = texts.text_before(a.key)
    now = texts.new_text.get(a.key)
    survives = now is not None
    changed = not survives or before != now
    common = {"id": a.id, "paragraph_changed": changed}
    unplaced = {
        "key": a.key,
        "quote": a.quote,
        "start": a.start,
        "end": a.end,
        "prefix": a.prefix,
        "suffix": a.suffix,
    }

    if not a.quote:
        if survives:
            method = Method.FOLLOWS_PARAGRAPH if changed else Method.UNCHANGED
            return Result(outcome=Outcome.KEPT, method=method, key=a.key, detail=_say(method, a), **common)
        return Result(
            outcome=Outcome.ORPHANED, method=Method.REMOVED, detail=_say(Method.REMOVED, a), **unplaced, **common
        )

    if survives and not changed and _stands(now, a):
        return _placed(
            Outcome.KEPT, Method.UNCHANGED, a, Match(a.key, a.start, a.end, a.quote, 100.0, 100.0), now, common
        )

    own = [Paragraph(a.key, now)] if survives else []
    mapped = _mapped(texts, a)

    def at_old_place(m: Match) -> bool:
        return m.key == a.key and m.start in {a.start, mapped}

    # 1. exactly, in its own paragraph: one occurrence, where the edit put it or amid its old context
    exact = [_with_context(m, texts, a) for p in own for m in _exact(a.quote, p)]
    if len(exact) == 1 and (at_old_place(exact[0]) or exact[0].context >= CONTEXT_SUPPORT):
        choice = exact[0]
        if choice.start == a.start and choice.end == a.end:
            return _placed(Outcome.KEPT, Method.EXACT_AT_OFFSETS, a, choice, now, common)
        return _placed(Outcome.MOVED, Method.EXACT, a, choice, now, common)

    elsewhere, holders = texts.where_it_went(a.key)

    def supported(m: Match) -> bool:
        if m.key != a.key and m.key not in holders and m.context < CONTEXT_SUPPORT:
            return False
        return len(a.quote) >= SHORT_QUOTE or at_old_place(m) or m.context >= CONTEXT_SUPPORT

    weak: list[Match] = []

    # 2. exactly, in its own paragraph or where its text went
    exact += [_with_context(m, texts, a) for p in elsewhere for m in _exact(a.quote, p)]
    weak += [m for m in exact if not supported(m)]
    exact = [m for m in exact if supported(m)]
    if exact:
        choice = _choose(exact, a, mapped)
        if choice is None:
            return Result(
                outcome=Outcome.FLAGGED,
                method=Method.AMBIGUOUS,
                score=100.0,
                best=exact[0],
                detail=_say(Method.AMBIGUOUS, a, count=len(exact)),
                **unplaced,
                **common,
            )
        at_offsets = choice.key == a.key and choice.start == a.start and choice.end == a.end
        if at_offsets:
            return _placed(Outcome.KEPT, Method.EXACT_AT_OFFSETS, a, choice, now, common)
        return _placed(Outcome.MOVED, Method.EXACT, a, choice, texts.new_text[choice.key], common)

    # 3. a close match, never below the threshold and never one of two equally good ones
    whole_words = _whole_words(a)
    fuzzy = [_with_context(m, texts, a) for p in own + elsewhere for m in _fuzzy(a.quote, p, whole_words=whole_words)]
    weak += [m for m in fuzzy if not supported(m)]
    fuzzy = [m for m in fuzzy if supported(m)]
    if fuzzy:
        fuzzy.sort(key=lambda m: (-m.score, m.key != a.key, m.start))
        best = fuzzy[0]
        rivals = [m for m in fuzzy[1:] if best.score - m.score < FUZZY_MARGIN and not _overlap(best, m)]
        choice = _choose([best, *rivals], a, mapped) if rivals else best
        if choice is None:
            return Result(
                outcome=Outcome.FLAGGED,
                method=Method.AMBIGUOUS,
                score=best.score,
                best=best,
                detail=_say(Method.AMBIGUOUS, a, count=1 + len(rivals), score=best.score),
                **unplaced,
                **common,
            )
        if choice.score >= min_score:
            return _placed(Outcome.MOVED, Method.FUZZY, a, choice, texts.new_text[choice.key], common)
        if survives or elsewhere:
            return Result(
                outcome=Outcome.FLAGGED,
                method=Method.LOW_SCORE,
                score=choice.score,
                best=choice,
                detail=_say(Method.LOW_SCORE, a, score=choice.score, min_score=min_score),
                **unplaced,
                **common,
            )
    if weak:
        weak.sort(key=lambda m: (-m.score, -m.context))
        return Result(
            outcome=Outcome.FLAGGED,
            method=Method.WEAK_CONTEXT,
            score=weak[0].score,
            best=weak[0],
            detail=_say(Method.WEAK_CONTEXT, a, to=weak[0]),
            **unplaced,
            **common,
        )
    if survives or elsewhere:
        return Result(
            outcome=Outcome.FLAGGED,
            method=Method.LOW_SCORE,
            score=0.0,
            detail=_say(Method.LOW_SCORE, a, score=0.0, min_score=min_score),
            **unplaced,
            **common,
        )
    return Result(outcome=Outcome.ORPHANED, method=Method.REMOVED, detail=_say(Method.REMOVED, a), **unplaced, **common)


def suggest(
    *, quote: str, prefix: str = "", suffix: str = "", paragraphs: Sequence[Paragraph], limit: int = 3
) -> list[Match]:
    """The best places for ``quote`` among ``paragraphs``, best first (for a moderator to choose from)."""
    if not quote:
        return []
    probe = AnchorInput(id=0, key="", quote=quote, prefix=prefix, suffix=suffix)
    whole_words = _whole_words(probe)
    found = [m for p in paragraphs for m in (_exact(quote, p) or _fuzzy(quote, p, whole_words=whole_words))]
    found = [m for m in found if m.score >= SUGGEST_MIN_SCORE]
    found = [
        Match(m.key, m.start, m.end, m.text, m.score, _context(_text_of(paragraphs, m.key), m.start, m.end, probe))
        for m in found
    ]
    found.sort(key=lambda m: (-m.score, -m.context))
    return found[:limit]


# ---------------------------------------------------------------- matching


def _stands(text: str, a: AnchorInput) -> bool:
    return (
        a.start is not None
        and a.end is not None
        and 0 <= a.start < a.end <= len(text)
        and text[a.start : a.end] == a.quote
    )


def _exact(quote: str, p: Paragraph) -> list[Match]:
    found, i = [], p.text.find(quote)
    while i != -1:
        found.append(Match(p.key, i, i + len(quote), quote, 100.0))
        i = p.text.find(quote, i + 1)
    return found


def _fuzzy(quote: str, p: Paragraph, *, whole_words: tuple[bool, bool] = (True, True)) -> list[Match]:
    """The best window for ``quote`` in the paragraph, and the best one not overlapping it."""
    found: list[Match] = []
    masked = p.text
    for _ in range(2):
        if not masked.strip("\x00"):
            break
        window = fuzz.partial_ratio_alignment(quote, masked)
        if window is None or window.score <= 0 or window.dest_end <= window.dest_start:
            break
        start, end = _refine(quote, masked, window.dest_start, window.dest_end, whole_words=whole_words)
        score = fuzz.ratio(quote, masked[start:end])
        if score <= 0:
            break
        found.append(Match(p.key, start, end, p.text[start:end], round(score, 1)))
        # \x00 never occurs in article text, so the next search avoids this window
        masked = masked[:start] + "\x00" * (end - start) + masked[end:]
    return found


def _refine(
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


def _whole_words(a: AnchorInput) -> tuple[bool, bool]:
    """Whether the quote began, and ended, on a word boundary (not inside a word)."""
    cut_start = a.prefix[-1:].isalnum() and a.quote[:1].isalnum()
    cut_end = a.suffix[:1].isalnum() and a.quote[-1:].isalnum()
    return not cut_start, not cut_end


def _context(text: str, start: int, end: int, a: AnchorInput) -> float:
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


def _with_context(m: Match, texts: _Texts, a: AnchorInput) -> Match:
    return Match(m.key, m.start, m.end, m.text, m.score, _context(texts.new_text[m.key], m.start, m.end, a))


def _choose(candidates: list[Match], a: AnchorInput, mapped: int | None) -> Match | None:
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


def _mapped(texts: _Texts, a: AnchorInput) -> int | None:
    """Where the old start offset lands in the paragraph's new text, through the edit."""
    before, now = texts.text_before(a.key), texts.new_text.get(a.key)
    if before is None or now is None or a.start is None:
        return None
    for op in Levenshtein.opcodes(before, now):
        if op.src_start <= a.start < op.src_end:
            return op.dest_start + (a.start - op.src_start if op.tag == "equal" else 0)
    return len(now) if a.start >= len(before) else None


def _overlap(m: Match, n: Match) -> bool:
    return m.key == n.key and m.start < n.end and n.start < m.end


def _text_of(paragraphs: Sequence[Paragraph], key: str) -> str:
    return next(p.text for p in paragraphs if p.key == key)


def _placed(outcome: Outcome, method: Method, a: AnchorInput, m: Match, text: str, common: dict) -> Result:
    return Result(
        outcome=outcome,
        method=method,
        key=m.key,
        quote=text[m.start : m.end],
        start=m.start,
        end=m.end,
        prefix=text[max(0, m.start - CONTEXT_LENGTH) : m.start],
        suffix=text[m.end : m.end + CONTEXT_LENGTH],
        score=m.score,
        detail=_say(method, a, to=m),
        **common,
    )


def _say(
    method: Method,
    a: AnchorInput,
    *,
    to: Match | None = None,
    count: int = 0,
    score: float = 0.0,
    min_score: float = 0.0,
) -> str:
    where = f"p-{a.key}"
    if method is Method.UNCHANGED:
        return f"{where} unchanged"
    if method is Method.FOLLOWS_PARAGRAPH:
        return f"{where} edited; the annotation follows its paragraph"
    if method is Method.EXACT_AT_OFFSETS:
        return f"{where} edited; the quote still stands at {a.start}-{a.end}"
    if method is Method.EXACT:
        return f"quote found exactly in p-{to.key} at {to.start}-{to.end} (was {where} at {a.start}-{a.end})"
    if method is Method.FUZZY:
        return (
            f"quote found in p-{to.key} at {to.start}-{to.end} with score {to.score:.0f} "
            f"(was {where} at {a.start}-{a.end}); the quoted words changed"
        )
    if method is Method.AMBIGUOUS:
        return f"the quote matches {count} places equally well; not guessed"
    if method is Method.WEAK_CONTEXT:
        return f"the quote occurs in p-{to.key} at {to.start}-{to.end}, but not amid the words it stood in; not guessed"
    if method is Method.LOW_SCORE:
        return f"{where} changed; best match scores {score:.0f}, below {min_score:.0f}; not guessed"
    return f"{where} was removed and no paragraph took its place"
