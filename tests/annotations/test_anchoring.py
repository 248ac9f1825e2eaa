"""Anchoring a quote in a paragraph: offsets, ambiguity, white space, UTF-16 (pure, no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.anchoring.quotes import (
    CONTEXT_LENGTH,
    AnchorError,
    codepoints_to_utf16,
    resolve_quote,
    utf16_to_codepoints,
)

TEXT = "The minister said the budget grew by 4% last year, and the budget is balanced."


# ---------------------------------------------------------------- offsets


def test_exact_offsets_give_the_anchor_with_its_context():
    start = TEXT.index("grew by 4%")
    anchor = resolve_quote(TEXT, "grew by 4%", start=start, end=start + 10)
    assert (anchor.exact, anchor.start, anchor.end) == ("grew by 4%", start, start + 10)
    assert anchor.prefix == "The minister said the budget "
    assert anchor.suffix == " last year, and the budget is balanced."[:CONTEXT_LENGTH]


def test_context_is_cut_to_context_length_on_both_sides():
    text = "x" * 100 + "QUOTE" + "y" * 100
    anchor = resolve_quote(text, "QUOTE", start=100, end=105)
    assert anchor.prefix == "x" * CONTEXT_LENGTH
    assert anchor.suffix == "y" * CONTEXT_LENGTH
    assert CONTEXT_LENGTH == 32


def test_wrong_offsets_are_refused():
    start = TEXT.index("grew by 4%")
    with pytest.raises(AnchorError, match="does not match"):
        resolve_quote(TEXT, "grew by 4%", start=start + 1, end=start + 11)


def test_offsets_outside_the_text_are_refused():
    with pytest.raises(AnchorError, match="outside the paragraph"):
        resolve_quote(TEXT, "balanced.", start=len(TEXT) - 9, end=len(TEXT) + 1)
    with pytest.raises(AnchorError, match="outside the paragraph"):
        resolve_quote(TEXT, "The", start=3, end=3)


def test_only_one_offset_is_refused():
    with pytest.raises(AnchorError, match="both the start and the end"):
        resolve_quote(TEXT, "The", start=0)
    with pytest.raises(AnchorError, match="both the start and the end"):
        resolve_quote(TEXT, "The", end=3)


def test_offsets_without_a_quote_are_refused():
    with pytest.raises(AnchorError, match="without a quote"):
        resolve_quote(TEXT, "", start=0, end=3)
    with pytest.raises(AnchorError, match="without a quote"):
        resolve_quote(TEXT, "   ", end=3)


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_empty_quote_means_the_whole_paragraph(quote):
    assert resolve_quote(TEXT, quote) is None


# ---------------------------------------------------------------- finding the quote


def test_a_unique_quote_is_found_without_offsets():
    anchor = resolve_quote(TEXT, "minister said")
    assert (anchor.start, anchor.end) == (4, 17)
    assert TEXT[anchor.start : anchor.end] == "minister said"


def test_a_quote_not_in_the_paragraph_is_refused():
    with pytest.raises(AnchorError, match="does not occur"):
        resolve_quote(TEXT, "the deficit shrank")


def test_an_ambiguous_quote_asks_for_more_words():
    with pytest.raises(AnchorError, match="occurs 2 times"):
        resolve_quote(TEXT, "the budget")


def test_prefix_picks_the_occurrence():
    second = TEXT.index("the budget", TEXT.index("the budget") + 1)
    anchor = resolve_quote(TEXT, "the budget", prefix="last year, and ")
    assert (anchor.start, anchor.end) == (second, second + len("the budget"))


def test_suffix_picks_the_occurrence():
    first = TEXT.index("the budget")
    anchor = resolve_quote(TEXT, "the budget", suffix=" grew")
    assert (anchor.start, anchor.end) == (first, first + len("the budget"))


def test_context_matching_neither_occurrence_is_still_ambiguous():
    with pytest.raises(AnchorError, match="occurs 2 times"):
        resolve_quote(TEXT, "the budget", prefix="nowhere in the text ")


def test_a_pasted_quote_matches_whatever_the_white_space():
    text = "Officials said the\nplan  would\u00a0cost more than expected."
    anchor = resolve_quote(text, "  the plan would\n cost more  ")
    assert anchor.exact == "the\nplan  would\u00a0cost more"
    assert text[anchor.start : anchor.end] == anchor.exact


def test_surrounding_white_space_of_a_pasted_quote_is_ignored():
    anchor = resolve_quote(TEXT, "  grew by 4%\n")
    assert anchor.exact == "grew by 4%"


def test_a_white_space_flexible_quote_can_be_ambiguous_too():
    with pytest.raises(AnchorError, match="occurs 2 times"):
        resolve_quote("a  b and a\nb", "a b")


# ---------------------------------------------------------------- UTF-16 and code points

EMOJI_TEXT = "Emoji 😀 then 汉字 and 𠀀 then the quote here"


def test_utf16_and_code_point_offsets_around_non_bmp_characters():
    # 😀 (U+1F600) and 𠀀 (U+20000) are two UTF-16 units each; 汉 and 字 are one.
    emoji = EMOJI_TEXT.index("😀")
    assert codepoints_to_utf16(EMOJI_TEXT, emoji) == emoji
    assert codepoints_to_utf16(EMOJI_TEXT, emoji + 1) == emoji + 2
    cjk = EMOJI_TEXT.index("汉字")
    assert codepoints_to_utf16(EMOJI_TEXT, cjk + 2) == cjk + 3
    ext_b = EMOJI_TEXT.index("𠀀")
    assert codepoints_to_utf16(EMOJI_TEXT, ext_b + 1) == ext_b + 3
    assert codepoints_to_utf16(EMOJI_TEXT, len(EMOJI_TEXT)) == len(EMOJI_TEXT.encode("utf-16-le")) // 2
    assert utf16_to_codepoints(EMOJI_TEXT, emoji + 2) == emoji + 1
    assert utf16_to_codepoints(EMOJI_TEXT, ext_b + 3) == ext_b + 1
    assert utf16_to_codepoints(EMOJI_TEXT, len(EMOJI_TEXT.encode("utf-16-le")) // 2) == len(EMOJI_TEXT)


def test_a_quote_after_an_emoji_sent_in_utf16_units_resolves_to_code_points():
    start = EMOJI_TEXT.index("the quote")
    u16_start = len(EMOJI_TEXT[:start].encode("utf-16-le")) // 2
    assert u16_start == start + 2  # 😀 and 𠀀 each count one extra unit
    anchor = resolve_quote(EMOJI_TEXT, "the quote", start=u16_start, end=u16_start + 9, utf16=True)
    assert (anchor.start, anchor.end, anchor.exact) == (start, start + 9, "the quote")


def test_utf16_offsets_taken_as_code_points_do_not_match():
    start = EMOJI_TEXT.index("the quote")
    with pytest.raises(AnchorError):
        resolve_quote(EMOJI_TEXT, "the quote", start=start + 2, end=start + 11)


def test_a_quote_of_non_bmp_characters_in_utf16_units():
    text = "a😀𠀀b"
    anchor = resolve_quote(text, "😀𠀀", start=1, end=5, utf16=True)
    assert (anchor.start, anchor.end) == (1, 3)


def test_an_offset_inside_a_surrogate_pair_is_refused():
    emoji_unit = EMOJI_TEXT.index("😀")
    with pytest.raises(AnchorError, match="inside a character"):
        utf16_to_codepoints(EMOJI_TEXT, emoji_unit + 1)
    with pytest.raises(AnchorError, match="inside a character"):
        resolve_quote("a😀b", "😀b", start=2, end=4, utf16=True)


def test_an_offset_beyond_the_end_is_refused():
    units = len(EMOJI_TEXT.encode("utf-16-le")) // 2
    with pytest.raises(AnchorError, match="beyond the end"):
        utf16_to_codepoints(EMOJI_TEXT, units + 1)
    with pytest.raises(AnchorError, match="beyond the end"):
        resolve_quote(EMOJI_TEXT, "here", start=units - 4, end=units + 1, utf16=True)


def test_a_negative_offset_is_refused():
    with pytest.raises(AnchorError, match="negative"):
        utf16_to_codepoints(EMOJI_TEXT, -1)


# ---------------------------------------------------------------- property

# Letters, digits, spaces, CJK and characters outside the BMP (emoji, CJK Extension B).
characters = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(["😀", "𠀀", "汉", "字", " ", "\U0010fffd"]),
)


@st.composite
def text_and_slice(draw):
    text = draw(st.text(characters, min_size=1, max_size=60))
    start = draw(st.integers(min_value=0, max_value=len(text) - 1))
    end = draw(st.integers(min_value=start + 1, max_value=len(text)))
    return text, start, end


@given(text_and_slice())
def test_utf16_offsets_round_trip_and_resolve_to_the_slice(case):
    text, start, end = case
    u16_start, u16_end = codepoints_to_utf16(text, start), codepoints_to_utf16(text, end)
    assert u16_start == len(text[:start].encode("utf-16-le")) // 2
    assert utf16_to_codepoints(text, u16_start) == start
    assert utf16_to_codepoints(text, u16_end) == end
    anchor = resolve_quote(text, text[start:end], start=u16_start, end=u16_end, utf16=True)
    assert (anchor.start, anchor.end, anchor.exact) == (start, end, text[start:end])
