"""Re-anchoring annotations after an article's paragraphs change (pure: no ORM, no database).

Given the paragraphs before and after a revision (text by stable key, in
reading order) and the anchors of annotations (paragraph key, quote, offsets in
code points, prefix/suffix context, kind, and the words the author annotated),
``reanchor`` decides for each annotation:

* **kept**: its paragraph is unchanged, or its quote still stands at the same
  offsets; an annotation without a quote follows its paragraph's key while the
  paragraph is recognisably the same;
* **moved**: its words were found again elsewhere, exactly (when they occur
  more than once, the stored prefix/suffix pick the occurrence) or but for
  typography, or -- for notes only -- by a fuzzy match scoring at least
  ``min_score`` against the words the author annotated, with nothing
  meaning-bearing changed;
* **flagged**: it cannot be placed with confidence, or the policy
  (``annotations.anchoring.policy``) does not let its kind follow the change
  (any changed word under a fact-check; a changed number, date, negation,
  qualifier or name under a note). Never guessed: a moderator decides;
* **orphaned**: its paragraph was removed and no changed paragraph took its
  place or its text.

``_place`` runs named steps in order (each returns a Result, or None to go
on): unchanged; exactly in its own paragraph; exactly where its text went;
a fuzzy match; not found. Every place found goes through ``_judge``, which
applies the policy. Candidate search lives in ``annotations.anchoring.search``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from annotations.anchoring import policy
from annotations.anchoring.policy import Change
from annotations.anchoring.quotes import CONTEXT_LENGTH
from annotations.anchoring.search import (
    AnchorInput,
    Match,
    Paragraph,
    Texts,
    candidates_exact,
    choose,
    fuzzy,
    mapped_start,
    overlap,
    suggest,
    whole_words,
    with_context,
)

__all__ = ["AnchorInput", "Match", "Method", "Outcome", "Paragraph", "Result", "reanchor", "suggest"]

DEFAULT_MIN_SCORE = 85.0  # typo and wording fixes score 90+; a changed meaning scores around 80
# Two fuzzy matches whose scores differ by less than this are equally good.
FUZZY_MARGIN = 3.0
# A match is only taken on its context (prefix/suffix at least this similar) when it is
# in a paragraph that merely stands near the old one, or when the quote is shorter than
# SHORT_QUOTE and the match is not where the old offsets lead: a short phrase occurs
# in many places, and taking any of them would be a guess.
CONTEXT_SUPPORT = 60.0
SHORT_QUOTE = 20
SHOWN = 80  # characters of a candidate's text quoted in a message


class Outcome(enum.StrEnum):
    KEPT = "kept"
    MOVED = "moved"
    FLAGGED = "flagged"
    ORPHANED = "orphaned"


class Method(enum.StrEnum):
    UNCHANGED = "unchanged"  # the paragraph did not change
    FOLLOWS_PARAGRAPH = "follows_paragraph"  # no quote: follows its paragraph's key
    EXACT_AT_OFFSETS = "exact_at_offsets"  # the quote still stands at its offsets
    EXACT = "exact"  # the quote found elsewhere, exactly or but for typography
    FUZZY = "fuzzy"  # a close match, at or above the threshold
    POLICY = "policy"  # found, but its kind may not follow that change: a moderator decides
    NOT_SAME_PARAGRAPH = "not_same_paragraph"  # no quote: its paragraph's text is no longer recognisably it
    AMBIGUOUS = "ambiguous"  # equally good places: not guessed
    LOW_SCORE = "low_score"  # the best match is below the threshold, or there is none
    WEAK_CONTEXT = "weak_context"  # found only where the words around it do not match: not guessed
    REMOVED = "removed"  # the paragraph was removed and nothing took its place


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
    change: Change | None = None  # the policy's class of the change from the author's words to where it stands
    reason: str = ""  # the policy's reason, for moderators and readers

    @property
    def placed(self) -> bool:
        return self.outcome in (Outcome.KEPT, Outcome.MOVED)


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
    texts = Texts(list(old), list(new), earlier or {})
    return [_place(texts, anchor, min_score) for anchor in anchors]


@dataclass
class _Case:
    """One anchor being placed: what every step needs to know about it."""

    texts: Texts
    a: AnchorInput
    min_score: float
    before: str | None = None
    now: str | None = None
    weak: list[Match] = field(default_factory=list)  # places rejected for their context, for the message
    own_exact: list[Match] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.before = self.texts.text_before(self.a.key)
        self.now = self.texts.new_text.get(self.a.key)
        self.mapped = mapped_start(self.texts, self.a)

    @property
    def survives(self) -> bool:
        return self.now is not None

    @property
    def changed(self) -> bool:
        return not self.survives or self.before != self.now

    @property
    def own(self) -> list[Paragraph]:
        return [Paragraph(self.a.key, self.now, self.a.key in self.texts.headings)] if self.survives else []

    def at_old_place(self, m: Match) -> bool:
        return m.key == self.a.key and m.start in {self.a.start, self.mapped}

    def supported(self, m: Match, holders: set[str]) -> bool:
        if m.key != self.a.key and m.key not in holders and m.context < CONTEXT_SUPPORT:
            return False
        return len(self.a.quote) >= SHORT_QUOTE or self.at_old_place(m) or m.context >= CONTEXT_SUPPORT

    def result(self, outcome: Outcome, method: Method, **fields) -> Result:
        """A Result; not placed unless ``fields`` say where (flagged and orphaned keep where they were)."""
        a = self.a
        where = {"key": a.key, "quote": a.quote, "start": a.start, "end": a.end, "prefix": a.prefix, "suffix": a.suffix}
        return Result(id=a.id, outcome=outcome, method=method, paragraph_changed=self.changed, **{**where, **fields})


def _place(texts: Texts, a: AnchorInput, min_score: float) -> Result:
    case = _Case(texts, a, min_score)
    if not a.quote:
        return _place_paragraph(case)
    for step in (_unchanged, _exact_in_own_paragraph, _exact_where_it_went, _fuzzy_match):
        result = step(case)
        if result is not None:
            return result
    return _not_found(case)


# ---------------------------------------------------------------- the steps


def _place_paragraph(case: _Case) -> Result:
    """A whole-paragraph annotation follows its key while the paragraph is recognisably the same."""
    a = case.a
    if not case.survives:
        return case.result(Outcome.ORPHANED, Method.REMOVED, detail=_say(Method.REMOVED, a))
    if not case.changed:
        return case.result(Outcome.KEPT, Method.UNCHANGED, quote="", detail=_say(Method.UNCHANGED, a))
    reference = a.original_paragraph if a.original_paragraph is not None else case.before or ""
    comparison = policy.compare(reference, case.now, heading=a.key in case.texts.headings)
    same = policy.paragraph_similarity(reference, case.now)
    decision = policy.decide_paragraph(a.kind, comparison, same)
    fields = {"change": comparison.change, "reason": decision.reason, "score": round(same * 100, 1)}
    if decision.place:
        detail = f"p-{a.key} edited; the annotation follows its paragraph ({decision.reason})"
        return case.result(Outcome.KEPT, Method.FOLLOWS_PARAGRAPH, quote="", detail=detail, **fields)
    method = Method.NOT_SAME_PARAGRAPH if same < policy.SAME_PARAGRAPH else Method.POLICY
    return case.result(Outcome.FLAGGED, method, detail=f"p-{a.key} edited; {decision.reason}; not moved", **fields)


def _unchanged(case: _Case) -> Result | None:
    a = case.a
    if case.changed or not _stands(case.now, a):
        return None
    m = Match(a.key, a.start, a.end, a.quote, 100.0, 100.0)
    return _placed(case, Outcome.KEPT, Method.UNCHANGED, m, change=None, reason="")


def _exact_in_own_paragraph(case: _Case) -> Result | None:
    """Exactly (or but for typography) in its own paragraph, once, where the edit put it or amid its old context."""
    found = [with_context(m, case.texts, case.a) for m in candidates_exact(case.a, case.own)]
    case.own_exact = found
    if len(found) == 1 and (case.at_old_place(found[0]) or found[0].context >= CONTEXT_SUPPORT):
        return _judge(case, found[0], Method.EXACT)
    return None


def _exact_where_it_went(case: _Case) -> Result | None:
    """Exactly (or but for typography) in its own paragraph or the changed paragraphs that took its text."""
    elsewhere, holders = case.texts.where_it_went(case.a.key)
    found = case.own_exact + [with_context(m, case.texts, case.a) for m in candidates_exact(case.a, elsewhere)]
    case.weak += [m for m in found if not case.supported(m, holders)]
    found = [m for m in found if case.supported(m, holders)]
    if not found:
        return None
    choice = choose(found, case.a, case.mapped)
    if choice is None:
        best = max(found, key=lambda m: m.score)
        detail = _say(Method.AMBIGUOUS, case.a, count=len(found))
        return case.result(Outcome.FLAGGED, Method.AMBIGUOUS, score=best.score, best=best, detail=detail)
    return _judge(case, choice, Method.EXACT)


def _fuzzy_match(case: _Case) -> Result | None:
    """The closest match to the author's words, never one of two equally good ones."""
    a = case.a
    elsewhere, holders = case.texts.where_it_went(a.key)
    ends = whole_words(a)
    found = [
        with_context(m, case.texts, a) for p in case.own + elsewhere for m in fuzzy(a.reference, p, whole_words=ends)
    ]
    case.weak += [m for m in found if not case.supported(m, holders)]
    found = [m for m in found if case.supported(m, holders)]
    if not found:
        return None
    found.sort(key=lambda m: (-m.score, m.key != a.key, m.start))
    best = found[0]
    rivals = [m for m in found[1:] if best.score - m.score < FUZZY_MARGIN and not overlap(best, m)]
    choice = choose([best, *rivals], a, case.mapped) if rivals else best
    if choice is None:
        detail = _say(Method.AMBIGUOUS, a, count=1 + len(rivals), to=best)
        return case.result(Outcome.FLAGGED, Method.AMBIGUOUS, score=best.score, best=best, detail=detail)
    return _judge(case, choice, Method.FUZZY)


def _not_found(case: _Case) -> Result:
    a = case.a
    if case.weak:
        best = sorted(case.weak, key=lambda m: (-m.score, -m.context))[0]
        detail = _say(Method.WEAK_CONTEXT, a, to=best)
        return case.result(Outcome.FLAGGED, Method.WEAK_CONTEXT, score=best.score, best=best, detail=detail)
    elsewhere, _ = case.texts.where_it_went(a.key)
    if case.survives or elsewhere:
        detail = _say(Method.LOW_SCORE, a, min_score=case.min_score)
        return case.result(Outcome.FLAGGED, Method.LOW_SCORE, score=0.0, detail=detail)
    return case.result(Outcome.ORPHANED, Method.REMOVED, detail=_say(Method.REMOVED, a))


# ---------------------------------------------------------------- the policy applied to a place found


def _judge(case: _Case, m: Match, method: Method) -> Result:
    """Place the annotation at ``m`` if its score and the policy allow; otherwise flag it with the reason."""
    a = case.a
    comparison = policy.compare(a.reference, m.text, heading=m.key in case.texts.headings)
    invisible = not comparison.change.visible
    if method is Method.FUZZY and not invisible and m.score < case.min_score:
        detail = _say(Method.LOW_SCORE, a, to=m, min_score=case.min_score)
        return case.result(
            Outcome.FLAGGED, Method.LOW_SCORE, score=m.score, best=m, detail=detail, change=comparison.change
        )
    decision = policy.decide(a.kind, comparison)
    if not decision.place:
        detail = _say(Method.POLICY, a, to=m, reason=decision.reason)
        return case.result(
            Outcome.FLAGGED,
            Method.POLICY,
            score=m.score,
            best=m,
            detail=detail,
            change=comparison.change,
            reason=decision.reason,
        )
    if method is Method.EXACT and m.key == a.key and (m.start, m.end) == (a.start, a.end):
        method = Method.EXACT_AT_OFFSETS
    if method is Method.FUZZY and invisible:
        method = Method.EXACT  # found but for typography (white space around a dash, say)
    kept = m.key == a.key and (m.start, m.end) == (a.start, a.end) and m.text == a.quote
    outcome = Outcome.KEPT if kept else Outcome.MOVED
    return _placed(case, outcome, method, m, change=comparison.change, reason=decision.reason)


def _placed(case: _Case, outcome: Outcome, method: Method, m: Match, *, change, reason: str) -> Result:
    text = case.texts.new_text[m.key]
    return case.result(
        outcome,
        method,
        key=m.key,
        quote=text[m.start : m.end],
        start=m.start,
        end=m.end,
        prefix=text[max(0, m.start - CONTEXT_LENGTH) : m.start],
        suffix=text[m.end : m.end + CONTEXT_LENGTH],
        score=m.score,
        detail=_say(method, case.a, to=m, reason=reason),
        change=change,
        reason=reason,
    )


def _stands(text: str | None, a: AnchorInput) -> bool:
    return (
        text is not None
        and a.start is not None
        and a.end is not None
        and 0 <= a.start < a.end <= len(text)
        and text[a.start : a.end] == a.quote
    )


# ---------------------------------------------------------------- messages


def _shown(m: Match) -> str:
    text = m.text if len(m.text) <= SHOWN else m.text[: SHOWN - 1] + "…"
    return f"p-{m.key} at {m.start}-{m.end} “{text}”"


def _say(
    method: Method,
    a: AnchorInput,
    *,
    to: Match | None = None,
    count: int = 0,
    min_score: float = 0.0,
    reason: str = "",
) -> str:
    """One line for moderators: what happened, with the best candidate and its score (or that there was none)."""
    where = f"p-{a.key}"
    if method is Method.UNCHANGED:
        return f"{where} unchanged"
    if method is Method.FOLLOWS_PARAGRAPH:
        return f"{where} edited; the annotation follows its paragraph"
    if method is Method.EXACT_AT_OFFSETS:
        return f"{where} edited; the quote still stands at {a.start}-{a.end}" + (f" ({reason})" if reason else "")
    if method is Method.EXACT:
        return f"quote found in {_shown(to)} (was {where} at {a.start}-{a.end}); {reason or 'the same words'}"
    if method is Method.FUZZY:
        return f"quote found in {_shown(to)} with score {to.score:.0f} (was {where} at {a.start}-{a.end}); {reason}"
    if method is Method.POLICY:
        return f"best candidate {_shown(to)} (score {to.score:.0f}): {reason}; not moved"
    if method is Method.AMBIGUOUS:
        best = f"; best candidate {_shown(to)} (score {to.score:.0f})" if to is not None else ""
        return f"the quote matches {count} places equally well{best}; not guessed"
    if method is Method.WEAK_CONTEXT:
        if to.score >= 100:
            return f"the quote occurs in {_shown(to)}, but not amid the words it stood in; not guessed"
        return f"best candidate {_shown(to)} (score {to.score:.0f}) is not amid the words it stood in; not guessed"
    if method is Method.LOW_SCORE:
        if to is None:
            return f"{where} changed; no candidate for the quote; not guessed"
        return f"{where} changed; best candidate {_shown(to)} scores {to.score:.0f}, below {min_score:.0f}; not guessed"
    return f"{where} was removed and no paragraph took its place"
