"""The client's selectors read into one paragraph and a quote (pure)."""

import pytest

from hypothesis_api.targets import Paragraph, Selection, TargetError, locate, read_selection

PARAGRAPHS = [
    Paragraph("k001", "The cat sat on the mat."),
    Paragraph("k002", "A dog sat on the mat too."),
    Paragraph("k003", "Emoji 😀 before the cat."),
]


def test_the_quote_is_found_in_its_paragraph_in_code_points():
    located = locate(PARAGRAPHS, Selection(exact="the cat", prefix="Emoji 😀 before ", suffix="."))
    assert (located.key, located.start, located.end) == ("k003", 15, 22)
    assert PARAGRAPHS[2].text[located.start : located.end] == "the cat"


def test_the_prefix_and_suffix_pick_the_occurrence():
    # "sat on the mat" is in k001 and k002: the context around it decides
    located = locate(PARAGRAPHS, Selection(exact="sat on the mat", prefix="\n  A dog ", suffix=" too."))
    assert located.key == "k002"
    located = locate(PARAGRAPHS, Selection(exact="sat on the mat", prefix="The cat ", suffix=".\n¶"))
    assert located.key == "k001"


def test_the_range_selector_settles_a_tie():
    selection = read_selection(
        [
            {"type": "RangeSelector", "startContainer": "/main[1]/article[1]/div[3]/section[2]/div[1]/p[1]"},
            {"type": "TextQuoteSelector", "exact": "sat on the mat", "prefix": "", "suffix": ""},
        ]
    )
    assert selection.section == 2
    assert locate(PARAGRAPHS, selection).key == "k002"


def test_a_tie_without_a_hint_asks_for_more_words():
    with pytest.raises(TargetError, match="select a few more words"):
        locate(PARAGRAPHS, Selection(exact="sat on the mat"))


@pytest.mark.parametrize(
    "exact",
    [
        "on the mat.\n¶ Link to this paragraph\nA dog",  # across two paragraphs, with the tools between them
        "The cat sat on the mat. A dog",
        "not in the article",
    ],
)
def test_words_outside_one_paragraph_are_refused(exact):
    with pytest.raises(TargetError, match="within one paragraph"):
        locate(PARAGRAPHS, Selection(exact=exact))


def test_white_space_from_around_a_paragraph_is_let_go():
    located = locate(PARAGRAPHS, Selection(exact="A dog sat on the mat too.\n"))
    assert (located.key, located.start, located.exact) == ("k002", 0, "A dog sat on the mat too.")


def test_no_quote_selector_is_a_page_note_and_bad_selectors_are_refused():
    assert read_selection([{"type": "TextPositionSelector", "start": 1, "end": 4}]) is None
    with pytest.raises(TargetError):
        read_selection("nope")
    with pytest.raises(TargetError):
        read_selection([{"type": "TextQuoteSelector", "exact": 12}])
    with pytest.raises(TargetError, match="Select some words"):
        read_selection([{"type": "TextQuoteSelector", "exact": "  "}])
    with pytest.raises(TargetError, match="too long"):
        read_selection([{"type": "TextQuoteSelector", "exact": "x" * 1001}])
