"""Typography folding and word tokens, shared by the re-anchoring policy and the candidate search (pure).

Folding maps every character readers cannot tell apart in running text to
one form: curly and straight quotation marks and apostrophes, the dashes and
the minus sign, no-break, thin and other spaces (any run of white space
becomes one space), invisible characters (zero-width spaces and joiners, soft
hyphens, byte-order marks) and the ellipsis character. ``fold`` also keeps,
for every folded character, where it came from, so a match found in folded
text maps back to offsets in the real text.
"""

from __future__ import annotations

import re

_SAME = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u00b4`\u2039\u203a\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    "\u2026": "...",
}
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

# A word (letters and digits, with inner apostrophes: "didn't", "we're"), or one punctuation mark.
TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]")
SENTENCE_END = frozenset(".!?:;")


def fold_char(ch: str, *, lower: bool) -> str:
    if ch in _INVISIBLE:
        return ""
    if ch.isspace():
        return " "
    ch = _SAME.get(ch, ch)
    if lower and len(ch) == 1:
        low = ch.lower()
        return low if len(low) == 1 else ch
    return ch


def fold(text: str, *, lower: bool = True) -> tuple[str, list[int]]:
    """``text`` folded (see the module docstring; lower-cased unless ``lower`` is False).

    Returns the folded text and, for each of its characters, the index in
    ``text`` it came from, plus one last entry ``len(text)``.
    """
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch, lower=lower)
        if not folded:
            continue
        if folded == " " and out and out[-1] == " ":
            continue  # a run of white space is one space
        out.extend(folded)
        where.extend([i] * len(folded))
    where.append(len(text))
    return "".join(out), where


def folded(text: str, *, lower: bool = True) -> str:
    """``fold(text)`` without the positions, and without white space at either end."""
    return fold(text, lower=lower)[0].strip()


def tokens(text: str) -> list[str]:
    """Words and punctuation marks of the folded (not lower-cased) text; white space is not a token."""
    return TOKEN_RE.findall(folded(text, lower=False))


def is_word(token: str) -> bool:
    return token[:1].isalnum()


def words_with_starts(text: str) -> list[tuple[str, bool]]:
    """The folded words of ``text``, each with whether it begins a sentence (or the text)."""
    out: list[tuple[str, bool]] = []
    initial = True
    for token in tokens(text):
        if is_word(token):
            out.append((token, initial))
            initial = False
        elif token in SENTENCE_END:
            initial = True
    return out


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Every word of ``text`` (not folded) with its offsets and its folded, lower-cased form."""
    spans = []
    for m in re.finditer(r"[^\W_]+(?:['\u2019][^\W_]+)*", text):
        spans.append((m.start(), m.end(), folded(m.group(), lower=True)))
    return spans
