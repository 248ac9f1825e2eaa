"""The client's selectors, read into one paragraph of the article and a quote in it (pure: no Django, no models).

The client sends, for words selected in the page, a ``RangeSelector`` (XPaths relative to ``<body>``), a
``TextPositionSelector`` (offsets in the whole page's text) and a ``TextQuoteSelector`` (``exact`` with up to 32
characters of ``prefix`` and ``suffix`` from the page around it). The page's text holds the site's header and
tools around the paragraphs, so offsets over it mean nothing to the server; the quote does: the paragraph is the
one whose text contains ``exact``, the occurrence the one whose surrounding text best matches the prefix and
suffix. Ties (the same words, the same context) are settled by the paragraph the ``RangeSelector`` points into
(its ``section[N]``: the N-th paragraph or heading of the article body), else refused as ambiguous.

Words spanning two paragraphs are refused: no single paragraph contains them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotations.anchoring.quotes import occurrences

MAX_QUOTE = 1000


class TargetError(ValueError):
    """The target cannot be stored; the message is shown in the sidebar."""


@dataclass(frozen=True)
class Paragraph:
    key: str
    text: str


@dataclass(frozen=True)
class Selection:
    exact: str
    prefix: str = ""
    suffix: str = ""
    section: int | None = None  # 1-based, from the RangeSelector


@dataclass(frozen=True)
class Located:
    key: str
    start: int  # code points in the paragraph's text
    end: int
    exact: str


# the article body's paragraphs are <section>s inside <div class="article-body">, each with its text in a <div>
SECTION_STEP = re.compile(r"/div\[\d+\]/section\[(\d+)\]/div\[\d+\]/(?:p|h2)\[1\]")


def _string(value, what: str, *, limit: int = MAX_QUOTE) -> str:
    if not isinstance(value, str):
        raise TargetError(f"The {what} must be a string.")
    if len(value) > limit:
        raise TargetError(f"The {what} is too long (at most {limit} characters).")
    return value


def read_selection(selectors) -> Selection | None:
    """The quote and hints of a target's selectors; None when there is no TextQuoteSelector (a page note)."""
    if not isinstance(selectors, list):
        raise TargetError("A target's 'selector' must be a list.")
    quote, section = None, None
    for selector in selectors:
        if not isinstance(selector, dict):
            raise TargetError("Each selector must be an object.")
        kind = selector.get("type")
        if kind == "TextQuoteSelector":
            quote = selector
        elif kind == "RangeSelector":
            match = SECTION_STEP.search(str(selector.get("startContainer", ""))[:500])
            section = int(match[1]) if match else None
    if quote is None:
        return None
    exact = _string(quote.get("exact"), "quote")
    if not exact.strip():
        raise TargetError("Select some words in a paragraph to annotate them.")
    prefix = _string(quote.get("prefix", ""), "quote's prefix", limit=200)
    suffix = _string(quote.get("suffix", ""), "quote's suffix", limit=200)
    return Selection(exact=exact, prefix=prefix, suffix=suffix, section=section)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


NOT_IN_ONE_PARAGRAPH = (
    "Select words within one paragraph of the article: the selected text is not in a single paragraph of its "
    "current text."
)


def locate(paragraphs: list[Paragraph], selection: Selection) -> Located:
    """The paragraph and occurrence ``selection`` names. TargetError when none or several fit.

    White space the selection took from around a paragraph (a triple click takes its line break) is let go.
    """
    located = _locate(paragraphs, selection, selection.exact)
    if located is None and selection.exact.strip() != selection.exact:
        located = _locate(paragraphs, selection, selection.exact.strip())
    if located is None:
        raise TargetError(NOT_IN_ONE_PARAGRAPH)
    return located


def _locate(paragraphs: list[Paragraph], selection: Selection, exact: str) -> Located | None:
    candidates: list[tuple[int, int, int]] = []  # (score, paragraph index, start)
    for index, paragraph in enumerate(paragraphs):
        for start in occurrences(paragraph.text, exact):
            end = start + len(exact)
            score = _common_suffix(paragraph.text[:start], selection.prefix) + _common_prefix(
                paragraph.text[end:], selection.suffix
            )
            candidates.append((score, index, start))
    if not candidates:
        return None
    if selection.section is not None:
        hinted = [c for c in candidates if c[1] == selection.section - 1]
        if hinted:
            candidates = hinted
    best = max(score for score, _, _ in candidates)
    top = [c for c in candidates if c[0] == best]
    if len(top) > 1:
        raise TargetError(
            f"The selected words occur {len(top)} times in the article with the same words around them; "
            "select a few more words."
        )
    _, index, start = top[0]
    return Located(key=paragraphs[index].key, start=start, end=start + len(exact), exact=exact)
