"""Aligning a copy with its original, block by block (articles.alignment): pure, no database."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import alignment
from articles.alignment import (
    ADDED,
    KINDS,
    MATCH_SIMILARITY,
    MERGED,
    MOVED,
    NOISE,
    OMITTED,
    REWORDED,
    SAME,
    SPLIT,
    Correction,
    Pair,
    WordScores,
    align,
)
from articles.demo import SAMPLE_PATH
from articles.parsing import parse_document, read_document

SAMPLE = [b.text for b in parse_document(read_document(SAMPLE_PATH, max_bytes=10**6)).blocks]

# A written original: five paragraphs on unrelated subjects, so that only the edits below relate them.
HARBOUR = "The harbour opened in 1887 after ten years of dredging, and the first ship to dock carried coal from Wales."
MARKET = "Every Saturday the market fills the square with farmers selling cheese, apples, honey and warm bread."
SCHOOL = "The village school has two classrooms, a garden the pupils plant each spring, and a library of old atlases."
RIVER = "Floods used to reach the church steps until the river was widened and a stone wall was built along it."
FESTIVAL = "In August a music festival brings brass bands from the whole valley to play on a stage by the lake."
ORIGINAL = [HARBOUR, MARKET, SCHOOL, RIVER, FESTIVAL]


def kinds(result) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [(p.kind, p.copy, p.original) for p in result.pairs]


def check_invariants(result, n: int, m: int) -> None:
    """Every block of both texts exactly once; pairs in copy order, and in original order except moved
    pairs; confidence and drift in [0, 1]; kinds consistent with their sides."""
    copy_seen = [i for p in result.pairs for i in p.copy]
    original_seen = [j for p in result.pairs for j in p.original]
    assert sorted(copy_seen) == list(range(n)) and copy_seen == sorted(copy_seen)
    assert sorted(original_seen) == list(range(m))
    in_order = [j for p in result.pairs if p.kind != MOVED for j in p.original]
    assert in_order == sorted(in_order)
    for p in result.pairs:
        assert p.kind in KINDS
        assert 0.0 <= p.confidence <= 1.0 and 0.0 <= p.drift <= 1.0
        assert p.copy or p.original
        assert (p.kind == ADDED) == (not p.original)
        assert (p.kind == OMITTED) == (not p.copy)
        assert list(p.copy) == list(range(p.copy[0], p.copy[0] + len(p.copy))) if p.copy else True
        assert list(p.original) == list(range(p.original[0], p.original[0] + len(p.original))) if p.original else True
        assert (p.kind == SPLIT) == (len(p.copy) > 1) or p.fixed
        assert (p.kind == MERGED) == (len(p.original) > 1) or p.fixed


# ---------------------------------------------------------------- every kind


def test_identical_texts_align_all_same_with_no_drift():
    result = align(ORIGINAL, list(ORIGINAL))
    assert kinds(result) == [(SAME, (i,), (i,)) for i in range(5)]
    assert all(p.drift == 0.0 and p.confidence == 1.0 for p in result.pairs)
    assert result.dropped == []


def test_empty_texts():
    assert align([], []).pairs == []
    assert kinds(align(["Only in the copy."], [])) == [(ADDED, (0,), ())]
    assert kinds(align([], ["Only in the original."])) == [(OMITTED, (), (0,))]


def test_reworded_keeps_its_place_and_measures_the_drift():
    # "could" become "would", "safety" become "security", a hedge dropped
    original = [HARBOUR, "We believe this could perhaps improve the safety of every crew that sails from here.", SCHOOL]
    copy = [HARBOUR, "We believe this would improve the security of every crew that sails from here.", SCHOOL]
    result = align(copy, original)
    assert kinds(result) == [(SAME, (0,), (0,)), (REWORDED, (1,), (1,)), (SAME, (2,), (2,))]
    reworded = result.pairs[1]
    assert 0.1 < reworded.drift < 0.4
    assert reworded.confidence > 0.5


def test_punctuation_and_case_only_is_reworded_without_drift():
    result = align([HARBOUR.upper().replace(",", ";")], [HARBOUR])
    assert kinds(result) == [(REWORDED, (0,), (0,))]
    assert result.pairs[0].drift == 0.0


def test_split_one_original_paragraph_into_two():
    first, second = MARKET.split(" selling ")
    copy = [HARBOUR, first + ".", "They sell " + second, SCHOOL]
    result = align(copy, [HARBOUR, MARKET, SCHOOL])
    assert kinds(result) == [(SAME, (0,), (0,)), (SPLIT, (1, 2), (1,)), (SAME, (3,), (2,))]
    assert result.pairs[1].drift < 0.15


def test_merge_two_original_paragraphs_into_one():
    copy = [HARBOUR, MARKET + " " + SCHOOL, RIVER]
    result = align(copy, [HARBOUR, MARKET, SCHOOL, RIVER])
    assert kinds(result) == [(SAME, (0,), (0,)), (MERGED, (1,), (1, 2)), (SAME, (2,), (3,))]
    assert result.pairs[1].drift == 0.0


def test_added_by_the_republisher_and_omitted_in_the_copy():
    lead = "Editor's note: this famous town has become the most talked-about destination of the season."
    copy = [lead, HARBOUR, MARKET, RIVER, FESTIVAL]  # a lead the author never wrote; the school left out
    result = align(copy, ORIGINAL)
    assert kinds(result) == [
        (ADDED, (0,), ()),
        (SAME, (1,), (0,)),
        (SAME, (2,), (1,)),
        (OMITTED, (), (2,)),
        (SAME, (3,), (3,)),
        (SAME, (4,), (4,)),
    ]
    assert result.pairs[0].drift == 1.0 and result.pairs[3].drift == 1.0
    assert result.pairs[0].confidence > 0.5 and result.pairs[3].confidence > 0.5


def test_moved_paragraph_is_paired_by_the_second_pass():
    festival = FESTIVAL.replace("In August", "Every August")  # moved to the top, and reworded a little
    copy = [festival, HARBOUR, MARKET, SCHOOL, RIVER]
    result = align(copy, ORIGINAL)
    assert kinds(result) == [
        (MOVED, (0,), (4,)),
        (SAME, (1,), (0,)),
        (SAME, (2,), (1,)),
        (SAME, (3,), (2,)),
        (SAME, (4,), (3,)),
    ]
    assert 0 < result.pairs[0].drift < 0.2
    check_invariants(result, 5, 5)


@pytest.mark.parametrize("direction", ["forward", "back"])
def test_an_identical_paragraph_moved_far_is_the_one_marked_moved(direction):
    """Two sets of identical paragraphs keep their order equally well ({harbour, festival} and {harbour, school}
    below): the paragraph that jumped furthest is the moved one, so its in-order neighbours stay same and
    reworded (the chain's tie went to the earliest copy position, which marked two paragraphs moved)."""
    river = RIVER.replace("Floods used to reach", "Floods once reached")  # reworded, in place
    if direction == "forward":  # the festival, last in the original, moved up to second
        copy, original = [HARBOUR, FESTIVAL, SCHOOL, river], [HARBOUR, SCHOOL, RIVER, FESTIVAL]
        expected = [(SAME, (0,), (0,)), (MOVED, (1,), (3,)), (SAME, (2,), (1,)), (REWORDED, (3,), (2,))]
    else:  # the school, second in the original, moved down to last
        copy, original = [HARBOUR, river, FESTIVAL, SCHOOL], [HARBOUR, SCHOOL, RIVER, FESTIVAL]
        expected = [(SAME, (0,), (0,)), (REWORDED, (1,), (2,)), (SAME, (2,), (3,)), (MOVED, (3,), (1,))]
    result = align(copy, original)
    assert kinds(result) == expected
    check_invariants(result, 4, 4)


def test_unrelated_short_blocks_are_not_moved_pairs():
    # out of order, similar but too short to be recognisably the same paragraph
    result = align(["Updated 10 am", HARBOUR], [HARBOUR, "Updated 11 am"])
    assert kinds(result) == [(ADDED, (0,), ()), (SAME, (1,), (0,)), (OMITTED, (), (1,))]


def test_a_rewritten_paragraph_in_place_with_little_in_common_is_added_and_omitted():
    copy = [HARBOUR, "Nobody remembers who first painted the lighthouse red, but tourists photograph it daily.", SCHOOL]
    result = align(copy, [HARBOUR, MARKET, SCHOOL])
    # in a stretch of unpaired blocks, the original's come first (what the copy left out, then what it has instead)
    assert kinds(result) == [(SAME, (0,), (0,)), (OMITTED, (), (1,)), (ADDED, (1,), ()), (SAME, (2,), (2,))]


def test_custom_similarity_is_the_seam():
    # a "translation" stand-in: the copy is in upper case and the similarity knows it
    calls = []

    def similarity(a: str, b: str) -> float:
        calls.append((a, b))
        return 1.0 if a.casefold() == b.casefold() else 0.0

    copy = [HARBOUR.upper(), SCHOOL.upper()]
    result = align(copy, [HARBOUR, MARKET, SCHOOL], similarity=similarity)
    assert kinds(result) == [(REWORDED, (0,), (0,)), (OMITTED, (), (1,)), (REWORDED, (1,), (2,))]
    assert calls


# ---------------------------------------------------------------- corrections


def test_corrections_are_respected_and_fill_in_around():
    lead = "Editor's note: this famous town has become the most talked-about destination of the season."
    copy = [lead, HARBOUR, MARKET, RIVER, FESTIVAL]
    corrections = [
        Correction(copy=(0,), original=(2,)),  # the editor says the lead stands for the school paragraph
        Correction(copy=(3,), original=()),  # ...and the river paragraph is the republisher's own
    ]
    result = align(copy, ORIGINAL, corrections=corrections)
    assert kinds(result) == [
        (MOVED, (0,), (2,)),  # crosses the harbour and market pairs: out of order, where the copy has it
        (SAME, (1,), (0,)),
        (SAME, (2,), (1,)),
        (OMITTED, (), (3,)),  # the river paragraph is no longer paired...
        (ADDED, (3,), ()),  # ...since the editor said the copy's is the republisher's own
        (SAME, (4,), (4,)),
    ]
    assert [p.fixed for p in result.pairs] == [True, False, False, False, True, False]
    assert result.pairs[0].confidence == 1.0 and result.pairs[4].confidence == 1.0
    assert result.dropped == []
    check_invariants(result, 5, 5)


def test_a_correction_crossing_one_identical_pair_wins():
    # the editor links the copy's second paragraph with the original's first, across the identical
    # harbour paragraphs: the correction keeps its order and the harbour pair is paired out of order
    # (against two identical pairs it would be the moved one: test_corrections_are_respected_and_fill_in_around)
    copy = [HARBOUR, "The market square is where the farmers sell what they grow.", SCHOOL]
    result = align(copy, [MARKET, HARBOUR, SCHOOL], corrections=[Correction(copy=(1,), original=(0,))])
    assert kinds(result) == [(MOVED, (0,), (1,)), (REWORDED, (1,), (0,)), (SAME, (2,), (2,))]
    assert [p.fixed for p in result.pairs] == [False, True, False]


def test_a_correction_in_order_anchors_the_rest():
    # without the correction the market paragraph pairs with the market paragraph; the editor says
    # the copy's second paragraph is the school one, so the market is omitted
    copy = [HARBOUR, SCHOOL.replace("two", "three"), RIVER]
    corrections = [Correction(copy=(1,), original=(1, 2))]  # one copy paragraph for two originals
    result = align(copy, [HARBOUR, MARKET, SCHOOL, RIVER], corrections=corrections)
    assert kinds(result) == [(SAME, (0,), (0,)), (MERGED, (1,), (1, 2)), (SAME, (2,), (3,))]
    assert result.pairs[1].fixed


def test_corrections_by_key_survive_when_the_surrounding_text_changes():
    keys = ["k-harbour", "k-market", "k-school", "k-river", "k-festival"]
    original_keys = ["o-harbour", "o-market", "o-school", "o-river", "o-festival"]
    corrections = [Correction(copy=("k-market",), original=()), Correction(copy=("k-river",), original=("o-school",))]
    before = align(ORIGINAL, ORIGINAL, corrections=corrections, copy_keys=keys, original_keys=original_keys)
    assert [(p.kind, p.copy, p.original) for p in before.pairs if p.fixed] == [
        (ADDED, (1,), ()),
        (REWORDED, (3,), (2,)),
    ]
    # the copy is revised: a new paragraph at the top, the harbour one reworded, the school one gone
    edited = [
        "A new opening paragraph about the town's famous lighthouse and its keeper.",
        HARBOUR.replace("ten years", "a decade"),
        MARKET,
        RIVER,
        FESTIVAL,
    ]
    edited_keys = ["k-new", "k-harbour", "k-market", "k-river", "k-festival"]
    after = align(edited, ORIGINAL, corrections=corrections, copy_keys=edited_keys, original_keys=original_keys)
    assert [(p.kind, p.copy, p.original) for p in after.pairs if p.fixed] == [
        (ADDED, (2,), ()),  # the market paragraph, now third, still marked added
        (REWORDED, (3,), (2,)),  # the river paragraph, still linked to the school one
    ]
    assert (REWORDED, (1,), (0,)) in kinds(after)
    assert after.dropped == []
    check_invariants(after, 5, 5)


def test_a_correction_on_a_key_that_no_longer_exists_is_dropped_and_reported():
    gone = Correction(copy=("k-school",), original=("o-market",))
    kept = Correction(copy=("k-river",), original=())
    result = align(
        [HARBOUR, MARKET, RIVER],
        [HARBOUR, MARKET, SCHOOL],
        corrections=[gone, kept],
        copy_keys=["k-harbour", "k-market", "k-river"],
        original_keys=["o-harbour", "o-market", "o-school"],
    )
    assert [(d.correction, d.reason) for d in result.dropped] == [(gone, "copy block 'k-school' no longer exists")]
    assert kinds(result) == [(SAME, (0,), (0,)), (SAME, (1,), (1,)), (OMITTED, (), (2,)), (ADDED, (2,), ())]
    assert result.pairs[3].fixed


@pytest.mark.parametrize(
    ("correction", "reason"),
    [
        (Correction(), "names no block"),
        (Correction(copy=(7,), original=(0,)), "copy position 7 is out of range"),
        (Correction(copy=(0, 1), original=(0, 1)), "links several copy blocks with several original blocks"),
        (Correction(copy=(0,), original=(0, 2)), "its blocks are no longer consecutive"),
        (Correction(copy=("a",), original=(0,)), "copy block 'a' no longer exists"),  # no keys given
        (Correction(copy=(1.5,), original=(0,)), "copy reference 1.5 is neither a position nor a key"),
    ],
)
def test_corrections_that_cannot_apply_are_dropped_with_a_reason(correction, reason):
    result = align(ORIGINAL, ORIGINAL, corrections=[correction])
    assert [(d.correction, d.reason) for d in result.dropped] == [(correction, reason)]
    assert kinds(result) == [(SAME, (i,), (i,)) for i in range(5)]


def test_a_block_claimed_twice_keeps_the_first_correction():
    first, second = Correction(copy=(0,), original=()), Correction(copy=(0,), original=(0,))
    result = align(ORIGINAL, ORIGINAL, corrections=[first, second])
    assert [d.correction for d in result.dropped] == [second]
    assert [p for p in result.pairs if p.copy == (0,)] == [Pair(ADDED, (0,), (), 1.0, 1.0, fixed=True)]


def test_keys_must_match_the_blocks():
    with pytest.raises(ValueError, match="copy_keys has 1 keys for 2 blocks"):
        align(["a", "b"], [], copy_keys=["k"])


# ---------------------------------------------------------------- the sample


def test_thresholds_on_the_sample():
    # two different blocks of the sample stay under NOISE; MATCH_SIMILARITY sits above it
    scores = WordScores(SAMPLE, SAMPLE)
    others = [scores.matrix[i][j] for i, j in itertools.combinations(range(len(SAMPLE)), 2)]
    assert max(others) < NOISE < MATCH_SIMILARITY


def test_the_sample_against_a_lightly_edited_version_of_itself():
    original = SAMPLE[:14]
    copy = list(original)
    copy[0] = copy[0].replace("is starting to", "has begun to")  # reworded (a short block: 3 of 7 words)
    copy[5] = copy[5].replace("a little over a month ago", "last month")  # reworded
    sentences = copy[7].split(". ")
    copy[7:8] = [sentences[0] + ".", ". ".join(sentences[1:])]  # split
    copy.insert(3, "This article has been translated and republished with permission.")  # added
    del copy[11]  # omitted (the original's block 10)
    result = align(copy, original)
    check_invariants(result, len(copy), len(original))
    assert kinds(result)[:6] == [
        (REWORDED, (0,), (0,)),
        (SAME, (1,), (1,)),
        (SAME, (2,), (2,)),
        (ADDED, (3,), ()),
        (SAME, (4,), (3,)),
        (SAME, (5,), (4,)),
    ]
    assert (REWORDED, (6,), (5,)) in kinds(result)
    assert (SPLIT, (8, 9), (7,)) in kinds(result)
    assert (OMITTED, (), (9,)) in kinds(result)
    assert [p.kind for p in result.pairs].count(SAME) == len(original) - 4


# ---------------------------------------------------------------- properties

# Paragraphs drawn from a few written ones and their variants, so that pairs, splits, merges and moves
# all occur, plus arbitrary text (empty, whitespace, symbols).
VARIANTS = ORIGINAL + [
    HARBOUR.replace("ten", "twelve"),
    MARKET.split(" selling ")[0],
    SCHOOL + " " + RIVER,
    "",
    "Updated 10 am",
]
paragraphs = st.one_of(st.sampled_from(VARIANTS), st.text(max_size=40))
texts = st.lists(paragraphs, max_size=12)


@settings(max_examples=300, deadline=None)
@given(copy=texts, original=texts, data=st.data())
def test_every_block_appears_exactly_once(copy, original, data):
    corrections = []
    if copy and original and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(copy) - 1))
        j = data.draw(st.integers(0, len(original) - 1))
        corrections = [data.draw(st.sampled_from([Correction((i,), (j,)), Correction((i,), ()), Correction((), (j,))]))]
    result = align(copy, original, corrections=corrections)
    check_invariants(result, len(copy), len(original))
    assert result.dropped == []
    if copy == original:
        assert all(p.kind == SAME and p.drift == 0.0 for p in result.pairs) or corrections


def test_in_a_band_every_block_still_appears_once(monkeypatch):
    # a stretch over MAX_CELLS cells is aligned in a band around the diagonal: shrink it to see it work
    monkeypatch.setattr(alignment, "MAX_CELLS", 60)
    original = [f"{text} Part {n} of the series." for n in range(4) for text in ORIGINAL]  # 20 blocks
    copy = [text.replace("the", "a") for text in original]  # all reworded: no identical anchors
    del copy[7]
    copy.insert(12, "A paragraph the republisher wrote on a subject of its own, with nothing in common.")
    result = align(copy, original)
    check_invariants(result, len(copy), len(original))
    assert [p.kind for p in result.pairs].count(REWORDED) == 19
    assert (OMITTED, (), (7,)) in kinds(result) and (ADDED, (12,), ()) in kinds(result)
    lo, hi = alignment._band(WordScores(copy, original), range(len(copy)), range(len(original)))
    assert max(b - a for a, b in zip(lo, hi, strict=True)) < len(original)  # a band, not the whole table
