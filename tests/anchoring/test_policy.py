"""The written re-anchoring policy: how a change is classified, and what each kind of annotation may follow.

Pure: no database.
"""

from __future__ import annotations

import random
import re

import pytest

from annotations.anchoring.policy import (
    FACT_CHECK,
    NOTE,
    RULES,
    SAME_PARAGRAPH,
    Change,
    compare,
    decide,
    decide_paragraph,
    paragraph_similarity,
)
from articles.demo import SAMPLE_PATH
from articles.parsing import PARAGRAPH, parse_document

SAMPLE = [b.text for b in parse_document(SAMPLE_PATH.read_text(encoding="utf-8")).blocks if b.kind == PARAGRAPH]
FEW = next(t for t in SAMPLE if "few people paid attention" in t)

# (original, candidate, expected class, what the description must mention)
CLASSES = [
    ("more than 300 million", "more than 300 million", Change.IDENTICAL, "unchanged"),
    # typography: quotation marks, apostrophes, dashes, spaces, invisible characters, capitals starting a sentence
    ("It won't be easy", "It won\u2019t be easy", Change.TYPOGRAPHY, "typography"),
    ('a blog post titled "Reflections."', "a blog post titled \u201cReflections.\u201d", Change.TYPOGRAPHY, ""),
    ("released it on November 30, 2022", "released it on November\u00a030, 2022", Change.TYPOGRAPHY, ""),
    ("never seen before - in our company", "never seen before\u2014in our company", Change.TYPOGRAPHY, ""),
    ("the first  AI agents", "the first AI\u200b agents", Change.TYPOGRAPHY, ""),
    ("in turn greatly", "in turn\u2009greatly", Change.TYPOGRAPHY, ""),
    ("reflection", "Reflection", Change.TYPOGRAPHY, ""),
    ("It sounds like science fiction. it's crazy", "It sounds like science fiction. It's crazy", Change.TYPOGRAPHY, ""),
    # meaning-bearing: numbers, dates, negations, qualifiers, names, the capitals of a name
    ("a Friday (November 18, 2023)", "a Friday (November 17, 2023)", Change.MEANING, "a number"),
    ("more than 300 million", "more than 30 million", Change.MEANING, "“300” → “30”"),
    ("In 2022, OpenAI", "In 2021, OpenAI", Change.MEANING, "a number"),
    ("version 3.5", "version 35", Change.MEANING, "a number"),
    ("nine years ago", "ten years ago", Change.MEANING, "a number"),
    ("released it in November", "released it in December", Change.MEANING, "a date"),
    ("it would be the most impactful", "it could be the most impactful", Change.MEANING, "a qualifier"),
    ("we'll do it again", "we did it again", Change.MEANING, "a qualifier"),
    ("The road is not easy", "The road is easy", Change.MEANING, "a negation"),
    ("they didn't think", "they did think", Change.MEANING, "a negation"),
    ("without their help", "with their help", Change.MEANING, "a negation"),
    ("we had never seen", "we had rarely seen", Change.MEANING, "a negation"),
    ("Ron Conway and Brian Chesky", "Ron Conway and Reid Hoffman", Change.MEANING, "a name"),
    ("an interview with Bloomberg", "an interview with Reuters", Change.MEANING, "a name"),
    ("named it ChatGPT", "named it GPT", Change.MEANING, "a name"),
    ("the Board issued", "the board issued", Change.MEANING, "capitals of a name"),
    # changed words, nothing meaning-bearing
    ("our thinking on security", "our thinking on safety", Change.WORDING, "“security” → “safety”"),
    ("failure of governance by good people", "failure of governance by decent people", Change.WORDING, "decent"),
    ("they didn't think we had a chance", "they did not think we had a chance", Change.WORDING, "did not"),
    ("safety and adjustment research", "safety and alignment research", Change.WORDING, ""),
    ('benefit-sharing."', "benefit-sharing.", Change.WORDING, '“"” removed'),
    ("now they know how to build AGI", "they know how to build AGI", Change.WORDING, "“now” removed"),
]


@pytest.mark.parametrize(("original", "candidate", "change", "said"), CLASSES)
def test_compare_classifies_the_change(original, candidate, change, said):
    c = compare(original, candidate)
    assert c.change is change, c
    assert said in c.describe()


def test_capitals_in_a_heading_are_typography():
    assert compare("Our Vision", "Our vision").change is Change.MEANING  # "Vision" could be a name in running text
    assert compare("Our Vision", "Our vision", heading=True).change is Change.TYPOGRAPHY


@pytest.mark.parametrize(
    ("kind", "change", "placed"),
    [
        (FACT_CHECK, Change.IDENTICAL, True),
        (FACT_CHECK, Change.TYPOGRAPHY, True),
        (FACT_CHECK, Change.WORDING, False),  # any changed word: a moderator confirms the verdict
        (FACT_CHECK, Change.MEANING, False),
        (NOTE, Change.IDENTICAL, True),
        (NOTE, Change.TYPOGRAPHY, True),
        (NOTE, Change.WORDING, True),  # follows changed words (the matcher's score threshold still applies)
        (NOTE, Change.MEANING, False),  # never across a meaning-bearing change
    ],
)
def test_the_decision_table(kind, change, placed):
    assert RULES[(kind, change)][0] is placed
    example = next(c for c in CLASSES if c[2] is change)
    decision = decide(kind, compare(example[0], example[1]))
    assert decision.place is placed
    assert decision.reason  # every decision says why


def test_an_unknown_kind_is_treated_as_a_note():
    assert decide("something", compare("good people", "decent people")).place


def test_the_reason_names_the_change_for_moderators():
    d = decide(FACT_CHECK, compare("more than 300 million", "more than 30 million"))
    assert not d.place
    assert "a number changed (“300” → “30”)" in d.reason and "moderator" in d.reason


@pytest.mark.parametrize(
    ("old", "new", "kind", "placed"),
    [
        ("reflection", "Reflection", NOTE, True),  # a heading's capital letter
        ("reflection", "collection days", NOTE, False),  # an unrelated replacement heading
        (SAMPLE[3], SAMPLE[3] + " We were right to try.", NOTE, True),  # a sentence added
        (SAMPLE[3], SAMPLE[3] + " We were right to try.", FACT_CHECK, False),  # a fact-check: any changed word
        (SAMPLE[3], SAMPLE[20], NOTE, False),  # the first paragraph overwritten by another text
        (FEW, FEW.replace("few people", "fewer than 10 people"), NOTE, False),  # a number added
    ],
)
def test_whole_paragraph_decisions(old, new, kind, placed):
    decision = decide_paragraph(kind, compare(old, new), paragraph_similarity(old, new))
    assert decision.place is placed, decision.reason


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?;])\s+", text)


def test_same_paragraph_threshold_separates_edits_from_replacements():
    """The measurement behind SAME_PARAGRAPH, on every paragraph of the sample of eight words or more.

    Realistic edits (a typo, three words changed, a sentence added to a paragraph of three lines or
    more) stay above it; halving a paragraph, shuffling its words or replacing it by another
    paragraph fall below it.
    """
    rng = random.Random(13)
    paragraphs = [t for t in SAMPLE if len(t.split()) >= 8]
    edits, replacements = [], []
    for text in paragraphs:
        words = text.split()
        typo = list(words)
        j = rng.randrange(len(typo))
        typo[j] = typo[j][:-1] + "x"
        edits.append(paragraph_similarity(text, " ".join(typo)))
        three = list(words)
        for j in rng.sample(range(len(three)), 3):
            three[j] = "changed"
        edits.append(paragraph_similarity(text, " ".join(three)))
        if len(words) >= 40:
            edits.append(paragraph_similarity(text, text + " This sentence was added by an editor to clarify."))
        replacements.append(paragraph_similarity(text, " ".join(words[: len(words) // 2])))
        replacements.append(paragraph_similarity(text, " ".join(rng.sample(words, len(words)))))
        other = rng.choice([p for p in paragraphs if p != text])
        replacements.append(paragraph_similarity(text, other))
    assert min(edits) >= SAME_PARAGRAPH, min(edits)
    assert max(replacements) < SAME_PARAGRAPH, max(replacements)
    assert paragraph_similarity("reflection", "collection days") == 0.0
