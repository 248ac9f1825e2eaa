"""The re-anchoring policy: which changes to an annotation's words it may follow on its own (pure).

``compare`` classifies the change between the words the author annotated (the
original quote, or the paragraph's text as it was then for a whole-paragraph
annotation) and the text a revision left in their place:

* ``identical``: the same characters;
* ``typography``: only what readers cannot tell apart (curly or straight
  quotation marks and apostrophes, dashes, no-break and other spaces,
  invisible characters) or the case of a letter that begins a sentence, or of
  any letter in a heading;
* ``wording``: words (or punctuation) changed, none of them meaning-bearing;
* ``meaning``: a meaning-bearing change: a digit or number, a date (a month,
  a weekday), a negation ("not", "never", "no", "without", "-n't"), a
  qualifier ("would"/"could", "all"/"some", "only", "more"), or a named entity
  (a capitalised word that does not begin a sentence, an acronym, a name such
  as "ChatGPT").

``decide`` / ``decide_paragraph`` then read ``RULES`` (the table below, also
in the README): **fact-checks** are placed automatically only when identical
or typography-only -- any changed word sends them to a moderator; **notes**
may follow changed words (a fuzzy match scoring at least the threshold) only
when nothing meaning-bearing changed; a **whole-paragraph** annotation follows
its paragraph only while the new text is recognisably the same paragraph
(``SAME_PARAGRAPH``). Every decision carries a reason for moderators and readers.
"""

from __future__ import annotations

import difflib
import enum
from collections import Counter
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq

from annotations.anchoring.wording import folded, is_word, tokens, words_with_starts

NOTE = "note"  # annotations.models.Annotation.Kind values (this module has no ORM)
FACT_CHECK = "fact_check"

# A whole-paragraph annotation follows its paragraph while at least this share of the
# words (the longer text's count) stand in the same order (word-level longest common
# subsequence, case and typography folded). Measured on the sample article
# (tests/anchoring/test_policy.py::test_same_paragraph_threshold_separates_edits_from_replacements):
# a typo or three words changed score 0.79-0.99, a sentence added 0.57-0.94 (median 0.85;
# below 0.6 only for a long sentence added to a one-line paragraph), a paragraph halved by
# a split 0.46-0.51, its words shuffled 0.20-0.50, another paragraph's text 0.03-0.15,
# "collection days" for the heading "reflection" 0.
SAME_PARAGRAPH = 0.6


class Change(enum.StrEnum):
    IDENTICAL = "identical"
    TYPOGRAPHY = "typography"
    WORDING = "wording"
    MEANING = "meaning"

    @property
    def visible(self) -> bool:
        """Whether a reader can see the difference (drives "This refers to an earlier wording")."""
        return self in (Change.WORDING, Change.MEANING)


NEGATIONS = frozenset(
    "not no never none nobody nothing nowhere neither nor without cannot non".split()
)  # and every word ending in n't
QUALIFIERS = frozenset(
    "would could should may might must will shall can "
    "all every each some most many few several always often sometimes rarely seldom usually "
    "only more less fewer least almost nearly approximately".split()
)
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand "
    "thousands million millions billion billions trillion dozen dozens half quarter twice thrice once double "
    "triple first second third fourth fifth sixth seventh eighth ninth tenth percent".split()
)
DATE_WORDS = frozenset(
    "january february march april june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow".split()
)


@dataclass(frozen=True)
class Comparison:
    change: Change
    edits: tuple[tuple[str, str], ...] = ()  # (words before, words after) of each changed stretch
    meaning: tuple[str, ...] = ()  # what made it meaning-bearing: "a number", "a negation", ...

    def describe(self) -> str:
        """One line for people: what changed."""
        if self.change is Change.IDENTICAL:
            return "the words are unchanged"
        if self.change is Change.TYPOGRAPHY:
            return "only typography changed (quotation marks, dashes, spaces or capitals)"
        shown = "; ".join(_say_edit(old, new) for old, new in self.edits[:3]) or "punctuation"
        if len(self.edits) > 3:
            shown += f"; and {len(self.edits) - 3} more"
        if self.change is Change.MEANING:
            return f"{' and '.join(self.meaning)} changed ({shown})"
        return f"words changed ({shown})"


def _say_edit(old: str, new: str) -> str:
    if not new:
        return f"“{old}” removed"
    if not old:
        return f"“{new}” added"
    return f"“{old}” → “{new}”"


def compare(original: str, candidate: str, *, heading: bool = False) -> Comparison:
    """Classify the change from ``original`` (the author's words) to ``candidate`` (see the module docstring)."""
    if original == candidate:
        return Comparison(Change.IDENTICAL)
    a, b = tokens(original), tokens(candidate)
    if a == b:  # folded characters equal, only white space between tokens differs
        return Comparison(Change.TYPOGRAPHY)
    if [t.lower() for t in a] == [t.lower() for t in b]:
        return _case_only(original, candidate, heading=heading)
    edits = tuple(_edits(a, b))
    meaning = _meaning(original, candidate, a, b)
    return Comparison(Change.MEANING if meaning else Change.WORDING, edits, meaning)


def paragraph_similarity(old: str, new: str) -> float:
    """Share (0-1) of the longer text's words that the other keeps in the same order (case and typography folded)."""
    a = [t.lower() for t in tokens(old) if is_word(t)]
    b = [t.lower() for t in tokens(new) if is_word(t)]
    if not a and not b:
        return 1.0
    return LCSseq.similarity(a, b) / max(len(a), len(b))


# ---------------------------------------------------------------- the decision table


@dataclass(frozen=True)
class Decision:
    place: bool  # True: placed automatically; False: a moderator reviews it
    reason: str


# (kind, change) -> (placed automatically?, the reason shown to moderators and readers)
RULES: dict[tuple[str, Change], tuple[bool, str]] = {
    (FACT_CHECK, Change.IDENTICAL): (True, "the words it checked are unchanged"),
    (FACT_CHECK, Change.TYPOGRAPHY): (True, "only typography changed; the words it checked are the same"),
    (FACT_CHECK, Change.WORDING): (False, "the words it checked changed; a moderator must confirm the verdict holds"),
    (FACT_CHECK, Change.MEANING): (False, "the words it checked changed their meaning; a moderator must re-check"),
    (NOTE, Change.IDENTICAL): (True, "the words are unchanged"),
    (NOTE, Change.TYPOGRAPHY): (True, "only typography changed"),
    (NOTE, Change.WORDING): (True, "words changed, nothing meaning-bearing; it follows them with the earlier wording"),
    (NOTE, Change.MEANING): (
        False,
        "a meaning-bearing word changed; a moderator decides whether the note still applies",
    ),
}


def decide(kind: str, comparison: Comparison) -> Decision:
    """May an annotation of ``kind`` follow its words through ``comparison``? (The score threshold is the matcher's.)"""
    place, why = RULES[(_kind(kind), comparison.change)]
    what = comparison.describe()
    return Decision(place, why if comparison.change in (Change.IDENTICAL,) else f"{what}: {why}")


def decide_paragraph(kind: str, comparison: Comparison, similarity: float) -> Decision:
    """May a whole-paragraph annotation of ``kind`` follow its paragraph's key to the new text?

    The same table as quotes (the paragraph's text is what was annotated),
    and the new text must be recognisably the same paragraph.
    """
    if comparison.change in (Change.IDENTICAL, Change.TYPOGRAPHY):
        return decide(kind, comparison)
    if similarity < SAME_PARAGRAPH:
        return Decision(
            False,
            f"the paragraph's new text keeps {similarity:.0%} of its words (needs {SAME_PARAGRAPH:.0%}): "
            "not recognisably the same paragraph; a moderator decides where it belongs",
        )
    return decide(kind, comparison)


def _kind(kind: str) -> str:
    return FACT_CHECK if str(kind) == FACT_CHECK else NOTE


# ---------------------------------------------------------------- classification


def _case_only(original: str, candidate: str, *, heading: bool) -> Comparison:
    if heading:
        return Comparison(Change.TYPOGRAPHY)
    a, b = words_with_starts(original), words_with_starts(candidate)
    for (x, x_initial), (y, y_initial) in zip(a, b, strict=False):
        if x != y and not (x_initial and y_initial):
            return Comparison(Change.MEANING, ((x, y),), ("the capitals of a name",))
    return Comparison(Change.TYPOGRAPHY)


def _edits(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    out = []
    la, lb = [t.lower() for t in a], [t.lower() for t in b]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append((_join(a[i1:i2]), _join(b[j1:j2])))
    return out


def _join(toks: list[str]) -> str:
    text = ""
    for t in toks:
        text += t if not text or not is_word(t) else " " + t
    return text


def _meaning(original: str, candidate: str, a: list[str], b: list[str]) -> tuple[str, ...]:
    found = []
    if _numbers(a) != _numbers(b):
        found.append("a number")
    if _picked(a, DATE_WORDS) != _picked(b, DATE_WORDS):
        found.append("a date")
    if _negations(a) != _negations(b):
        found.append("a negation")
    if _qualifiers(a) != _qualifiers(b):
        found.append("a qualifier")
    if _names_changed(original, candidate):
        found.append("a name")
    return tuple(found)


def _numbers(toks: list[str]) -> list[str]:
    # digits with the punctuation between them ("3.5" is not "35"), and number words
    out, run = [], ""
    for t in toks:
        if any(c.isdigit() for c in t) or (run and t in ".,/:"):
            run += t
            continue
        if run:
            out.append(run.rstrip(".,/:"))
            run = ""
        if t.lower() in NUMBER_WORDS:
            out.append(t.lower())
    if run:
        out.append(run.rstrip(".,/:"))
    return sorted(out)


def _picked(toks: list[str], vocabulary: frozenset[str]) -> list[str]:
    return sorted(t.lower() for t in toks if t.lower() in vocabulary)


def _negations(toks: list[str]) -> list[str]:
    out = []
    for t in toks:
        low = t.lower()
        if low.endswith("n't") or low in ("cannot",):
            out.append("not")
        elif low in NEGATIONS:
            out.append(low)
    return sorted(out)


def _qualifiers(toks: list[str]) -> list[str]:
    out = []
    for t in toks:
        low = t.lower()
        if low.endswith("'ll"):
            out.append("will")
        elif low.endswith("'d"):
            out.append("would")
        elif low.endswith("n't") and low[:-3] in QUALIFIERS:
            out.append(low[:-3])
        elif low in ("can't", "won't", "cannot"):
            out.append({"won't": "will"}.get(low, "can"))
        elif low in QUALIFIERS:
            out.append(low)
    return sorted(out)


def _names(text: str) -> tuple[Counter, set[str]]:
    """Named entities (capitalised words not beginning a sentence, acronyms, "ChatGPT"), and every capitalised word."""
    entities: Counter = Counter()
    capitalised = set()
    for word, initial in words_with_starts(text):
        if not word[:1].isupper():
            continue
        capitalised.add(word)
        if word == "I" or word.startswith("I'"):
            continue
        if not initial or any(c.isupper() for c in word[1:]):
            entities[word] += 1
    return entities, capitalised


def _names_changed(original: str, candidate: str) -> bool:
    """A name of one text is not among the capitalised words of the other (a name may begin a sentence)."""
    names_a, caps_a = _names(original)
    names_b, caps_b = _names(candidate)
    return any(n not in caps_b for n in names_a) or any(n not in caps_a for n in names_b)


def folded_equal(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ only by typography and case."""
    return folded(a) == folded(b)
