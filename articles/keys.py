"""Where an old paragraph address leads (pure): a removed block's key -> the current block holding its text.

A shared link to ``#p-<key>`` must keep working after the paragraph it named
was merged into another, rewritten under a new key, or split. The article
page writes an empty element with each old id just before the paragraph that
now holds most of that text (no script needed); ``successors`` decides which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz.distance import LCSseq

# An old paragraph leads to the current one holding at least this share of its words, in order...
SUCCESSOR_SHARE = 0.5
# ...and at least this many of them: two similar-looking paragraphs share a few words by chance.
MIN_SHARED_WORDS = 3

# Words of four letters or more: short function words ("the", "and", "of") say nothing about where text went.
_WORD = re.compile(r"\w{4,}")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def successors(removed: Sequence[tuple[str, str]], current: Sequence[tuple[str, str]]) -> dict[str, str]:
    """For each removed ``(key, text)``, the key of the current block (``(key, text)``, in reading order) that
    holds the largest share of its words in order: at least ``SUCCESSOR_SHARE`` of them and at least
    ``MIN_SHARED_WORDS``; the earlier block on a tie. Removed blocks whose text went nowhere are left out
    (a link that leads nowhere beats one that leads to the wrong paragraph)."""
    now = [(key, words, set(words)) for key, text in current for words in [_words(text)]]
    found: dict[str, str] = {}
    for key, text in removed:
        words = _words(text)
        if not words:
            continue
        vocabulary = set(words)
        best_key, best = None, 0.0
        for new_key, new_words, new_vocabulary in now:
            # cheap bound first: an in-order share cannot exceed the share of shared words
            if len(vocabulary & new_vocabulary) < SUCCESSOR_SHARE * len(vocabulary):
                continue
            shared = LCSseq.similarity(words, new_words)
            share = shared / len(words)
            if shared >= MIN_SHARED_WORDS and share > best:
                best_key, best = new_key, share
        if best_key is not None and best >= SUCCESSOR_SHARE:
            found[key] = best_key
    return found
