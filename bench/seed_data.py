"""What the seed is made of: the sizes, the batch size, and the generated text (words, tags, note bodies, verdicts)."""

from __future__ import annotations

import random

SIZES = {
    "full": {
        "large_paragraphs": 200,
        "large_annotations": 5000,  # all approved and public ...
        "large_fact_checks": 500,  # ... of which this many are fact-checks with evidence
        "admin_annotations": 100_000,
        "filler_articles": 20,
        "filler_paragraphs": 50,
        "authors": 500,
        "writers": 20,
        "write_paragraphs": 40,
    },
    "quick": {
        "large_paragraphs": 40,
        "large_annotations": 500,
        "large_fact_checks": 50,
        "admin_annotations": 5_000,
        "filler_articles": 5,
        "filler_paragraphs": 20,
        "authors": 50,
        "writers": 8,
        "write_paragraphs": 20,
    },
}

BATCH = 2000  # rows per bulk_create

WORDS = (
    "the a of and to in that is was for on with as by at from it this be are have not but or which an they "
    "year years company model models research people work world future team new first time progress safety "
    "science compute users product launch mission believe built build building learned learn hard decisions "
    "board trust governance translation original copy source claim evidence statement report reported version "
    "machine intelligence general superintelligence agents workforce economy history quickly slowly carefully "
    "public private release released iterative deployment feedback society benefits risks important difficult "
    "founders investors partners engineers researchers customers millions billions percent growth revenue "
    "reflection reflections january december looking back forward ahead today tomorrow decade always never"
).split()
TAG_POOL = [
    "translation",
    "mistranslation",
    "context",
    "numbers",
    "dates",
    "quotes",
    "tone",
    "hedging",
    "terminology",
    "names",
    "sources",
    "omission",
    "addition",
    "style",
    "governance",
    "safety",
    "economics",
    "history",
    "products",
    "research",
    "compute",
    "agents",
    "agi",
    "board",
    "investors",
    "timeline",
    "claims",
    "statistics",
    "law",
    "policy",
    "people",
    "companies",
    "forecast",
    "opinion",
    "fact",
    "error",
    "typo",
    "formatting",
    "headline",
    "lead",
]
BODIES = [
    "The original says *something subtly different* here: compare with the source before quoting.",
    "This sentence was **added** by the republisher; it is not in the original post.",
    "Worth reading with the [original](https://blog.samaltman.com/reflections) open beside it.",
    "- the tense changed\n- a hedge was dropped\n- the subject is now plural",
    "> quoted from the original\n\nThe copy turns the quote into a paraphrase.",
    "Plain note without any markup at all, just an observation about the paragraph.",
    "The figure matches the company's own report of the same year.",
    "A term of art is translated literally here, which changes its meaning for readers.",
]
VERDICTS = ["accurate", "mostly_accurate", "missing_context", "misleading", "false", "mistranslation", "unverifiable"]


def paragraph(rng: random.Random, n_words: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n_words)]
    words[0] = words[0].capitalize()
    # a few sentence breaks so the text reads like prose
    for i in range(12, n_words - 1, rng.randint(12, 20)):
        words[i] += "."
        words[i + 1] = words[i + 1].capitalize()
    return " ".join(words) + "."


def quote_span(rng: random.Random, text: str) -> tuple[int, int]:
    """A span of 2–12 whole words inside ``text``."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
    first = rng.randrange(0, max(1, len(starts) - 3))
    last = min(len(starts) - 1, first + rng.randint(2, 12))
    start, end = starts[first], starts[last] - 1  # up to the space before word ``last``
    return start, max(end, start + 1)
