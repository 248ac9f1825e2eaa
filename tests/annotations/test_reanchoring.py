"""The pure re-anchoring matcher: a corpus of edits with their expected outcomes, and properties under random edits.

No database: paragraphs are (key, text) pairs, anchors are plain data.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from annotations.anchoring.matcher import (
    DEFAULT_MIN_SCORE,
    AnchorInput,
    Method,
    Outcome,
    Paragraph,
    reanchor,
    suggest,
)
from annotations.anchoring.quotes import anchor_at
from articles.demo import SAMPLE_PATH
from articles.parsing import PARAGRAPH, parse_document

SAMPLE = [b.text for b in parse_document(SAMPLE_PATH.read_text(encoding="utf-8")).blocks if b.kind == PARAGRAPH]


def sample_paragraph(needle: str) -> str:
    """The one paragraph of the sample article containing ``needle``."""
    found = [t for t in SAMPLE if needle in t]
    assert len(found) == 1, needle
    return found[0]


def anchor(id_: int, key: str, text: str, quote: str, occurrence: int = 0) -> AnchorInput:
    """An anchor on the ``occurrence``-th occurrence of ``quote`` in ``text`` (as the annotate service stores it)."""
    if not quote:
        return AnchorInput(id_, key)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    a = anchor_at(text, start, start + len(quote))
    return AnchorInput(id_, key, a.exact, a.start, a.end, a.prefix, a.suffix)


def place(old: list[tuple[str, str]], new: list[tuple[str, str]], *anchors: AnchorInput, **kwargs):
    results = reanchor(
        old=[Paragraph(k, t) for k, t in old], new=[Paragraph(k, t) for k, t in new], anchors=anchors, **kwargs
    )
    new_text = dict(new)
    for r in results:  # the invariant every test relies on
        if r.placed and r.quote:
            assert new_text[r.key][r.start : r.end] == r.quote
    return results[0] if len(results) == 1 else results


# ---------------------------------------------------------------- the corpus, on the sample article

GROWN = sample_paragraph("We all got back to work")  # holds a fact-checkable claim (users)
BEFORE = sample_paragraph("At that time, few people paid attention")
TIPPING = sample_paragraph("tipping point")
EASY = sample_paragraph("It won't be easy.")
NAMED = sample_paragraph("In the end, we named it ChatGPT")
PROUD = sample_paragraph("We are proud of our research and deployment")
OLD = [("a", BEFORE), ("b", NAMED), ("c", TIPPING), ("d", EASY), ("e", GROWN), ("f", PROUD)]


def edited(**changes: str | None) -> list[tuple[str, str]]:
    """OLD with some paragraphs' text replaced (None: removed)."""
    return [(k, changes.get(k, t)) for k, t in OLD if changes.get(k, t) is not None]


def test_unchanged_paragraph_keeps_the_annotation_as_it_is():
    a = anchor(1, "e", GROWN, "more than 300 million")
    r = place(OLD, edited(a=BEFORE + " Edited elsewhere."), a)
    assert (r.outcome, r.method) == (Outcome.KEPT, Method.UNCHANGED)
    assert (r.key, r.start, r.end, r.quote) == ("e", a.start, a.end, a.quote)
    assert not r.paragraph_changed


def test_typo_fix_inside_the_quote_moves_it_with_a_score():
    # the copy has a stray quotation mark after "benefit-sharing."
    a = anchor(1, "f", PROUD, 'our thinking on security and benefit-sharing."')
    r = place(OLD, edited(f=PROUD.replace('benefit-sharing."', "benefit-sharing.")), a)
    assert (r.outcome, r.method) == (Outcome.MOVED, Method.FUZZY)
    assert r.quote == "our thinking on security and benefit-sharing."
    assert r.score >= DEFAULT_MIN_SCORE
    assert r.start == a.start


def test_mistranslation_fixed_inside_the_quote_moves_it():
    a = anchor(1, "f", PROUD, "a world leader in safety and adjustment research")
    r = place(OLD, edited(f=PROUD.replace("adjustment research", "alignment research")), a)
    assert (r.outcome, r.method, r.quote) == (
        Outcome.MOVED,
        Method.FUZZY,
        "a world leader in safety and alignment research",
    )
    assert 85 <= r.score < 100


def test_words_inserted_before_the_quote_shift_its_offsets():
    a = anchor(1, "a", BEFORE, "mainly because they didn't think we had a chance")
    r = place(OLD, edited(a="Back in 2015: " + BEFORE), a)
    assert (r.outcome, r.method) == (Outcome.MOVED, Method.EXACT)
    assert (r.start, r.end) == (a.start + 14, a.end + 14)
    assert r.quote == a.quote and r.score == 100


def test_words_changed_after_the_quote_keep_it_at_its_offsets():
    a = anchor(1, "a", BEFORE, "few people paid attention to us")
    r = place(OLD, edited(a=BEFORE.replace(", and if they did,", "; if they did,")), a)
    assert (r.outcome, r.method) == (Outcome.KEPT, Method.EXACT_AT_OFFSETS)
    assert (r.start, r.end) == (a.start, a.end)
    assert r.suffix != a.suffix  # the context is refreshed from the new text


def test_paragraph_inserted_above_keeps_everything():
    a = anchor(1, "e", GROWN, "more than 300 million")
    new = [("a", BEFORE), ("new", "A brand new paragraph that says something else entirely."), *OLD[1:]]
    r = place(OLD, new, a)
    assert (r.outcome, r.method, r.key, r.start) == (Outcome.KEPT, Method.UNCHANGED, "e", a.start)


def test_paragraph_moved_keeps_everything():
    a = anchor(1, "b", NAMED, "November 30, 2022")
    new = [OLD[0], OLD[2], OLD[3], OLD[4], OLD[1], OLD[5]]
    r = place(OLD, new, a)
    assert (r.outcome, r.key, r.start) == (Outcome.KEPT, "b", a.start)


def test_paragraph_split_moves_quotes_of_its_second_half_to_the_new_paragraph():
    first, second = TIPPING.split(" But ", 1)
    in_first = anchor(1, "c", TIPPING, "tipping point", occurrence=0)
    in_second = anchor(2, "c", TIPPING, "To our surprise, ChatGPT was that tipping point")
    second_tipping = anchor(3, "c", TIPPING, "tipping point", occurrence=1)
    whole = anchor(4, "c", TIPPING, "")
    new = edited(c=first)
    new.insert(3, ("c2", "But " + second))
    r1, r2, r3, r4 = place(OLD, new, in_first, in_second, second_tipping, whole)
    assert (r1.outcome, r1.method, r1.key, r1.start) == (Outcome.KEPT, Method.EXACT_AT_OFFSETS, "c", in_first.start)
    assert (r2.outcome, r2.method, r2.key) == (Outcome.MOVED, Method.EXACT, "c2")
    # the phrase is in both halves now: its context picks the second
    assert (r3.outcome, r3.key, r3.start) == (Outcome.MOVED, "c2", ("But " + second).index("tipping point"))
    # a whole-paragraph note does not follow a key left on half its paragraph: the note may be
    # about the other half (issue 13: only a recognisably same paragraph keeps it)
    assert (r4.outcome, r4.method, r4.key) == (Outcome.FLAGGED, Method.NOT_SAME_PARAGRAPH, "c")
    assert r4.paragraph_changed and "not recognisably the same paragraph" in r4.detail


def test_paragraphs_merged_move_quotes_of_the_removed_one_into_the_merged_one():
    quoted = anchor(1, "d", EASY, "The road is not easy")
    whole = anchor(2, "d", EASY, "")
    r1, r2 = place(OLD, edited(c=TIPPING + " " + EASY, d=None), quoted, whole)
    assert (r1.outcome, r1.method, r1.key) == (Outcome.MOVED, Method.EXACT, "c")
    # a whole-paragraph note whose paragraph is removed is an orphan, even when its text went elsewhere
    assert (r2.outcome, r2.method, r2.key) == (Outcome.ORPHANED, Method.REMOVED, "d")


def test_paragraph_moved_and_edited_gets_a_new_key_and_its_quotes_follow():
    """The importer gives a paragraph that moved far and changed a new key; its old text identifies it."""
    a = anchor(1, "b", NAMED, "released it on November 30, 2022")
    moved = NAMED.replace("In the end, ", "Finally, ")
    new = [OLD[0], OLD[2], OLD[3], OLD[4], OLD[5], ("b2", moved)]
    r = place(OLD, new, a)
    assert (r.outcome, r.method, r.key) == (Outcome.MOVED, Method.EXACT, "b2")


def test_reworded_beyond_recognition_needs_reanchoring():
    a = anchor(1, "a", BEFORE, "mainly because they didn't think we had a chance")
    r = place(OLD, edited(a="Back then hardly anyone noticed the lab, and most observers expected it to fail."), a)
    assert (r.outcome, r.method) == (Outcome.FLAGGED, Method.LOW_SCORE)
    assert r.score < DEFAULT_MIN_SCORE
    # not moved: it keeps its paragraph, quote and offsets
    assert (r.key, r.quote, r.start, r.end) == ("a", a.quote, a.start, a.end)


def test_a_reworded_claim_below_the_threshold_is_flagged_not_guessed():
    a = anchor(1, "e", GROWN, "The research we've done is undoubtedly the best research ever done.")
    new_text = GROWN.replace(
        "The research we've done is undoubtedly the best research ever done.",
        "The research we've done is some of the best research in the field.",
    )
    r = place(OLD, edited(e=new_text), a)
    assert (r.outcome, r.method) == (Outcome.FLAGGED, Method.LOW_SCORE)
    assert 70 < r.score < DEFAULT_MIN_SCORE
    assert r.best is not None and r.best.text.startswith("The research we've done is some of the best")


def test_the_threshold_is_a_parameter():
    # a rewording with nothing meaning-bearing changed (scores 81): the threshold decides for a note
    a = anchor(1, "e", GROWN, "The research we've done is undoubtedly the best research ever done.")
    new_text = GROWN.replace(
        "is undoubtedly the best research ever done.", "is clearly the finest research ever undertaken."
    )
    assert place(OLD, edited(e=new_text), a, min_score=70).outcome is Outcome.MOVED
    assert place(OLD, edited(e=new_text), a, min_score=95).outcome is Outcome.FLAGGED
    # "the best ever" -> "some of the best" changes a qualifier: never followed, whatever the threshold
    # (issue 13; this case used to move at min_score=70)
    qualified = GROWN.replace(
        "is undoubtedly the best research ever done.", "is some of the best research in the field."
    )
    r = place(OLD, edited(e=qualified), a, min_score=70)
    assert (r.outcome, r.method) == (Outcome.FLAGGED, Method.POLICY)
    assert "a qualifier" in r.detail
    fixed = PROUD.replace("adjustment research", "alignment research")
    b = anchor(2, "f", PROUD, "a world leader in safety and adjustment research")
    assert place(OLD, edited(f=fixed), b, min_score=95).outcome is Outcome.FLAGGED


def test_deleted_paragraph_orphans_its_annotations():
    quoted = anchor(1, "d", EASY, "not easy")
    whole = anchor(2, "d", EASY, "")
    r1, r2 = place(OLD, edited(d=None), quoted, whole)
    assert (r1.outcome, r1.method, r1.key, r1.quote) == (Outcome.ORPHANED, Method.REMOVED, "d", "not easy")
    assert (r2.outcome, r2.key) == (Outcome.ORPHANED, "d")


def test_deleted_paragraph_replaced_by_another_needs_reanchoring():
    """A new paragraph written in its place may say the same thing in other words: a moderator decides."""
    a = anchor(1, "d", EASY, "there is no obvious right choice")
    new = edited(d=None)
    new.insert(3, ("d2", "Nothing about this is simple, and every option has a cost."))
    r = place(OLD, new, a)
    assert (r.outcome, r.key) == (Outcome.FLAGGED, "d")


def test_a_short_quote_is_not_taken_from_a_neighbour_where_it_merely_occurs():
    a = anchor(1, "b", NAMED, "ChatGPT")
    # the paragraph is reworded without the name; the next paragraph (also edited) happens to contain it
    r = place(OLD, edited(b="In the end, we gave it a name and released it late in 2022.", c=TIPPING + " Indeed."), a)
    assert r.outcome is Outcome.FLAGGED
    assert r.method in (Method.WEAK_CONTEXT, Method.LOW_SCORE)


# ---------------------------------------------------------------- the same phrase twice


TWICE = "We believe AGI is possible. Critics doubt it, yet we believe AGI is possible within a decade."


@pytest.mark.parametrize("occurrence", [0, 1])
def test_same_phrase_twice_the_context_picks_the_occurrence(occurrence):
    a = anchor(1, "t", TWICE, "believe AGI is possible", occurrence=occurrence)
    new_text = "Ten years ago we said it first. " + TWICE.replace("Critics doubt it", "Many critics still doubt it")
    r = place([("t", TWICE)], [("t", new_text)], a)
    assert r.outcome is Outcome.MOVED
    expected = [i for i in range(len(new_text)) if new_text.startswith("believe AGI is possible", i)][occurrence]
    assert r.start == expected


def test_same_phrase_in_two_equally_likely_places_is_not_guessed():
    """The removed paragraph's sentence now stands in two new paragraphs alike: either could be meant."""
    old_text = "The plan failed in the end."
    a = anchor(1, "x", old_text, "The plan failed in the end")
    old = [("p", "Before it all."), ("x", old_text), ("n", "After it all.")]
    twin = "Said: The plan failed in the end."
    new = [("p", "Before it all."), ("y1", twin), ("y2", twin), ("n", "After it all.")]
    r = place(old, new, a)
    assert (r.outcome, r.method) == (Outcome.FLAGGED, Method.AMBIGUOUS)


# ---------------------------------------------------------------- the corpus, on generated text


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def generated(seed: int) -> tuple[list[tuple[str, str]], random.Random]:
    rng = random.Random(seed)
    return [(f"g{i}", " ".join(words(rng, rng.randint(25, 60))) + ".") for i in range(6)], rng


def quote_in(text: str, rng: random.Random, n_words: int = 5) -> str:
    tokens = text.rstrip(".").split()
    i = rng.randint(2, len(tokens) - n_words - 2)
    return " ".join(tokens[i : i + n_words])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("typo_in_quote", Outcome.MOVED),
        ("words_before", Outcome.MOVED),
        ("paragraph_above", Outcome.KEPT),
        ("paragraph_moved", Outcome.KEPT),
        ("split_after_quote", Outcome.KEPT),
        ("split_before_quote", Outcome.MOVED),
        ("merged_into_previous", Outcome.MOVED),
        ("reworded", Outcome.FLAGGED),
        ("deleted", Outcome.ORPHANED),
    ],
)
def test_generated_corpus(seed, edit, expected):
    old, rng = generated(seed)
    key, text = old[2]
    quote = quote_in(text, rng)
    a = anchor(1, key, text, quote)
    new = list(old)
    if edit == "typo_in_quote":
        word = quote.split()[2]
        typo = word[:1] + word[2:] if len(word) > 3 else word + "x"
        new[2] = (key, text[: a.start] + quote.replace(word, typo, 1) + text[a.end :])
    elif edit == "words_before":
        new[2] = (key, " ".join(words(rng, 4)) + " " + text)
    elif edit == "paragraph_above":
        new.insert(2, ("fresh", " ".join(words(rng, 30)) + "."))
    elif edit == "paragraph_moved":
        new.append(new.pop(2))
    elif edit in ("split_after_quote", "split_before_quote"):
        cut = text.index(" ", a.end) if edit == "split_after_quote" else text.rindex(" ", 0, a.start)
        new[2:3] = [(key, text[:cut]), ("tail", text[cut + 1 :])]
    elif edit == "merged_into_previous":
        new[1:3] = [(old[1][0], old[1][1] + " " + text)]
    elif edit == "reworded":
        new[2] = (key, " ".join(words(rng, 40)) + ".")
    elif edit == "deleted":
        del new[2]

    r = place(old, new, a)

    assert r.outcome is expected, r.detail
    if r.placed:
        assert r.quote == quote or (edit == "typo_in_quote" and fuzz.ratio(r.quote, quote) >= DEFAULT_MIN_SCORE)
    if edit == "split_before_quote":
        assert r.key == "tail"
    if edit == "merged_into_previous":
        assert r.key == old[1][0]


def test_a_fuzzy_match_keeps_to_whole_words():
    a = anchor(1, "a", BEFORE, "few people paid attention to us")
    r = place(OLD, edited(a=BEFORE.replace("few people paid attention", "few people paid any attention")), a)
    assert (r.outcome, r.method, r.quote) == (Outcome.MOVED, Method.FUZZY, "few people paid any attention to us")


def test_suggest_leaves_out_poor_matches():
    assert suggest(quote="zebra quantum xylophone", paragraphs=[Paragraph(k, t) for k, t in OLD]) == []


def test_suggest_ranks_the_best_places():
    paragraphs = [Paragraph(k, t) for k, t in OLD]
    found = suggest(quote="the best research ever done", paragraphs=paragraphs)
    assert found[0].key == "e" and found[0].score == 100
    assert suggest(quote="", paragraphs=paragraphs) == []


# ---------------------------------------------------------------- properties under random edit sequences
#
# A document is paragraphs of tokens; each token has an id that survives edits, so the test knows
# where each quoted token truly went. Words are random letters, so a quote of two or more words
# occurs exactly only where its tokens are.


@dataclass
class Doc:
    rng: random.Random
    paragraphs: list[tuple[str, list[tuple[int, str]]]] = field(default_factory=list)
    next_id: int = 0
    next_key: int = 0

    def tokens(self, n: int) -> list[tuple[int, str]]:
        out = []
        for word in words(self.rng, n):
            out.append((self.next_id, word))
            self.next_id += 1
        return out

    def key(self) -> str:
        self.next_key += 1
        return f"k{self.next_key}"

    def texts(self) -> list[tuple[str, str]]:
        return [(k, " ".join(w for _, w in toks)) for k, toks in self.paragraphs]

    def span_of(self, key: str, ids: set[int]) -> tuple[int, int] | None:
        """Character span (in the paragraph's text) covering the tokens with these ids, if any."""
        pos, first, last = 0, None, None
        for k, toks in self.paragraphs:
            if k != key:
                continue
            for tid, w in toks:
                if tid in ids:
                    first = pos if first is None else first
                    last = pos + len(w)
                pos += len(w) + 1
        return None if first is None else (first, last)


EDITS = [
    "typo",
    "insert_words",
    "delete_words",
    "insert_paragraph",
    "delete_paragraph",
    "move",
    "split",
    "merge",
    "reword",
]


def apply_edit(doc: Doc, edit: str, r: random.Random) -> None:
    paras = doc.paragraphs
    i = r.randrange(len(paras))
    key, toks = paras[i]
    if edit == "typo" and toks:
        j = r.randrange(len(toks))
        tid, w = toks[j]
        toks[j] = (tid, w[:-1] + r.choice(string.ascii_lowercase) if len(w) > 3 else w + "e")
    elif edit == "insert_words":
        j = r.randint(0, len(toks))
        toks[j:j] = doc.tokens(r.randint(1, 4))
    elif edit == "delete_words" and len(toks) > 6:
        j = r.randrange(len(toks) - 3)
        del toks[j : j + r.randint(1, 3)]
    elif edit == "insert_paragraph":
        paras.insert(r.randint(0, len(paras)), (doc.key(), doc.tokens(r.randint(8, 20))))
    elif edit == "delete_paragraph" and len(paras) > 2:
        del paras[i]
    elif edit == "move" and len(paras) > 1:
        paras.insert(r.randrange(len(paras)), paras.pop(i))
    elif edit == "split" and len(toks) > 4:
        j = r.randint(2, len(toks) - 2)
        paras[i : i + 1] = [(key, toks[:j]), (doc.key(), toks[j:])]
    elif edit == "merge" and i + 1 < len(paras):
        paras[i : i + 2] = [(key, toks + paras[i + 1][1])]
    elif edit == "reword":
        paras[i] = (key, doc.tokens(len(toks) or 5))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    edits=st.lists(st.lists(st.sampled_from(EDITS), min_size=1, max_size=3), min_size=1, max_size=5),
)
def test_random_edit_sequences_keep_the_invariants(seed, edits):
    rng = random.Random(seed)
    doc = Doc(rng)
    doc.paragraphs = [(doc.key(), doc.tokens(rng.randint(6, 30))) for _ in range(rng.randint(2, 6))]
    # annotations: (id, key, quote, start, end, prefix, suffix) plus the token ids they were made on
    live: dict[int, tuple[AnchorInput, set[int]]] = {}
    texts = dict(doc.texts())
    for n in range(rng.randint(1, 8)):
        key, toks = rng.choice(doc.paragraphs)
        if len(toks) < 2 or rng.random() < 0.15:
            live[n] = (AnchorInput(n, key), set())
            continue
        j = rng.randrange(len(toks) - 1)
        size = rng.randint(2, min(6, len(toks) - j))
        ids = {tid for tid, _ in toks[j : j + size]}
        start, end = doc.span_of(key, ids)
        a = anchor_at(texts[key], start, end)
        live[n] = (AnchorInput(n, key, a.exact, a.start, a.end, a.prefix, a.suffix), ids)

    for round_ in edits:
        old = [Paragraph(k, t) for k, t in doc.texts()]
        for edit in round_:
            apply_edit(doc, edit, rng)
        new_texts = doc.texts()
        new = [Paragraph(k, t) for k, t in new_texts]
        by_key = dict(new_texts)
        inputs = [a for a, _ in live.values()]

        results = reanchor(old=old, new=new, anchors=inputs)

        # no annotation is ever dropped: one result per anchor, in order
        assert [r.id for r in results] == [a.id for a in inputs]
        for a, r in zip(inputs, results, strict=True):
            _, ids = live[a.id]
            if not r.placed:
                assert r.outcome in (Outcome.FLAGGED, Outcome.ORPHANED)
                # not moved: it keeps where it was, with its quote
                assert (r.key, r.quote, r.start, r.end) == (a.key, a.quote, a.start, a.end)
                del live[a.id]
                continue
            assert r.key in by_key
            if not a.quote:
                assert r.key == a.key  # a whole-paragraph annotation follows its key
                continue
            # every anchored quote equals the paragraph text at its offsets
            assert by_key[r.key][r.start : r.end] == r.quote
            # every low-confidence case is flagged rather than moved
            if r.method is Method.FUZZY:
                assert r.score >= DEFAULT_MIN_SCORE
                assert fuzz.ratio(a.quote, r.quote) >= DEFAULT_MIN_SCORE
                # a quote of whole words is placed on whole words
                text = by_key[r.key]
                if not a.prefix[-1:].isalnum():
                    assert r.start == 0 or not text[r.start - 1].isalnum(), r.quote
                if not a.suffix[:1].isalnum():
                    assert r.end == len(text) or not text[r.end].isalnum(), r.quote
            else:
                assert r.quote == a.quote
            # and it is where its words truly went
            truth = doc.span_of(r.key, ids)
            assert truth is not None, f"placed in p-{r.key}, but none of its words are there: {r.detail}"
            assert r.start < truth[1] and truth[0] < r.end, r.detail
            live[a.id] = (AnchorInput(a.id, r.key, r.quote, r.start, r.end, r.prefix, r.suffix), ids)
