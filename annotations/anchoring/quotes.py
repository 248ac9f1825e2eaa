"""Anchoring a quote inside a paragraph's text (pure, no database).

Offsets are stored in Unicode code points, as Python indexes strings.
Browsers count UTF-16 code units (a character outside the Basic Multilingual
Plane, such as most emoji, is two units), so offsets sent by JavaScript are
converted with ``utf16_to_codepoints`` before use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTEXT_LENGTH = 32


class AnchorError(ValueError):
    """The quote cannot be anchored; the message is meant for the annotator."""


@dataclass(frozen=True)
class Anchor:
    exact: str
    start: int
    end: int
    prefix: str
    suffix: str


def utf16_to_codepoints(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset into ``text`` to a code-point offset.

    Raises ``AnchorError`` for an offset outside the text or one that falls in
    the middle of a surrogate pair.
    """
    if offset < 0:
        raise AnchorError("Offsets cannot be negative.")
    units = 0
    for index, ch in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            raise AnchorError("The offset falls inside a character.")
    if units == offset:
        return len(text)
    raise AnchorError("The offset is beyond the end of the paragraph.")


def codepoints_to_utf16(text: str, offset: int) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[:offset])


def anchor_at(text: str, start: int, end: int) -> Anchor:
    return Anchor(
        exact=text[start:end],
        start=start,
        end=end,
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
    )


def occurrences(text: str, quote: str) -> list[int]:
    """Where ``quote`` starts in ``text``, every occurrence (overlapping ones too), in order."""
    found, i = [], text.find(quote)
    while i != -1:
        found.append(i)
        i = text.find(quote, i + 1)
    return found


def _flexible_matches(text: str, quote: str) -> list[tuple[int, int]]:
    """Matches of the quote with any run of white space standing for any other."""
    words = quote.split()
    if not words:
        return []
    pattern = r"\s+".join(re.escape(w) for w in words)
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def resolve_quote(
    text: str,
    quote: str,
    *,
    start: int | None = None,
    end: int | None = None,
    utf16: bool = False,
    prefix: str = "",
    suffix: str = "",
) -> Anchor | None:
    """Find ``quote`` in ``text`` and return its anchor, or None for no quote.

    With offsets (code points, or UTF-16 units when ``utf16``), the quote must
    stand exactly there. Without them, the quote must occur in the text (white
    space may differ, as when pasted); when it occurs more than once, the
    prefix/suffix pick the occurrence, else the annotator is asked for more
    words.
    """
    quote = quote.strip() if start is None else quote
    if not quote:
        if start is not None or end is not None:
            raise AnchorError("Offsets were sent without a quote.")
        return None
    if (start is None) != (end is None):
        raise AnchorError("Send both the start and the end of the quote, or neither.")
    if start is not None:
        if utf16:
            start, end = utf16_to_codepoints(text, start), utf16_to_codepoints(text, end)
        if not 0 <= start < end <= len(text):
            raise AnchorError("The quote's offsets are outside the paragraph.")
        if text[start:end] != quote:
            raise AnchorError("The quote does not match the paragraph's text at those offsets.")
        return anchor_at(text, start, end)

    spans = [(i, i + len(quote)) for i in occurrences(text, quote)] or _flexible_matches(text, quote)
    if not spans:
        raise AnchorError("The quote does not occur in this paragraph. Copy it exactly from the text.")
    if len(spans) > 1 and (prefix or suffix):
        spans = [
            (s, e)
            for s, e in spans
            if text[:s].endswith(prefix[-CONTEXT_LENGTH:]) and text[e:].startswith(suffix[:CONTEXT_LENGTH])
        ] or spans
    if len(spans) > 1:
        raise AnchorError(
            f"The quote occurs {len(spans)} times in this paragraph; include a few more words so it is unique."
        )
    s, e = spans[0]
    return anchor_at(text, s, e)
