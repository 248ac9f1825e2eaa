"""The fixed verdict scale of fact-checks, with its published numeric mapping.

Numbers follow schema.org's Rating convention (worst 1 .. best 5) and are
given only where a verdict sits on the true/false axis; "mistranslation" and
"unverifiable" are not points on that axis and carry no number. The README
publishes this table; changing it changes every ClaimReview we export.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Verdict(models.TextChoices):
    ACCURATE = "accurate", "Accurate"
    MOSTLY_ACCURATE = "mostly_accurate", "Mostly accurate"
    MISSING_CONTEXT = "missing_context", "Missing context"
    MISLEADING = "misleading", "Misleading"
    FALSE = "false", "False"
    MISTRANSLATION = "mistranslation", "Mistranslation"
    UNVERIFIABLE = "unverifiable", "Unverifiable"


@dataclass(frozen=True)
class VerdictInfo:
    value: str
    label: str
    rating: int | None
    meaning: str


BEST_RATING = 5
WORST_RATING = 1

SCALE: dict[str, VerdictInfo] = {
    info.value: info
    for info in [
        VerdictInfo(Verdict.ACCURATE, "Accurate", 5, "The passage is correct and faithful to its source."),
        VerdictInfo(
            Verdict.MOSTLY_ACCURATE, "Mostly accurate", 4, "Correct in substance; a detail is off or imprecise."
        ),
        VerdictInfo(
            Verdict.MISSING_CONTEXT, "Missing context", 3, "Literally true, but leaves out what a reader needs."
        ),
        VerdictInfo(
            Verdict.MISLEADING,
            "Misleading",
            2,
            "Gives a wrong impression, by emphasis, hedges dropped or terms changed.",
        ),
        VerdictInfo(Verdict.FALSE, "False", 1, "Says something the source or the record contradicts."),
        VerdictInfo(
            Verdict.MISTRANSLATION,
            "Mistranslation",
            None,
            "The copy does not say what the original says (translation drift).",
        ),
        VerdictInfo(Verdict.UNVERIFIABLE, "Unverifiable", None, "Cannot be checked against available evidence."),
    ]
}

# Verdicts that concern the translation rather than the facts themselves.
TRANSLATION_VERDICTS = {Verdict.MISTRANSLATION}


def info(value: str) -> VerdictInfo | None:
    return SCALE.get(value)
