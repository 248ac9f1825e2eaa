"""The demo's originals (issue 19), added by ``setup_demo`` through the services editors use.

* The sample's original post is not in the project. What can be shipped honestly is the wording of it that
  the press quoted verbatim at the time, which the demo fact-checks already cite as evidence
  (``annotations.demo``): those passages are attached as a passages-only original with the "excerpts"
  rights, each linked by an editor's correction to the copy paragraph that translates it. The compare view
  then shows those passages aligned and every other paragraph as "original not stored".
* A fully synthetic pair, written for the demo (``articles/samples/synthetic_copy.md`` and
  ``synthetic_original.md``: an invented town, council and ferry), whose copy drifts in every way the
  aligner knows: a lead added, hedges dropped, a paragraph left out, one split, two merged, one moved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction

from annotations.demo import DEMO_ANNOTATIONS, GOVERNANCE_IN_THE_ORIGINAL, ORIGINAL, in_the_original
from articles.models import AlignmentCorrection, Article, OriginalRights, OriginalText, Source
from articles.parsing import parse_document, read_document
from articles.services import import_article
from articles.services.originals import OriginalResult, attach_original, save_correction

SAMPLES = Path(__file__).resolve().parent.parent / "articles" / "samples"

# The original's passages, in the original's order, each with the first words of the copy paragraph that
# translates it. Only excerpts the demo fact-checks cite (a test checks each one is).
SAMPLE_PASSAGES: tuple[tuple[str, str], ...] = (
    (
        "We started OpenAI almost nine years ago because we believed that AGI was possible, "
        "and that it could be the most impactful technology in human history.",
        "We started OpenAI almost nine years ago",
    ),
    (
        "In 2022, OpenAI was a quiet research lab working on something temporarily called 'Chat With GPT-3.5'.",
        "In 2022, OpenAI is still a quiet research lab",
    ),
    (GOVERNANCE_IN_THE_ORIGINAL.excerpt, "In my opinion, the whole affair"),
    (
        "We are now confident we know how to build AGI as we have traditionally understood it.",
        "We are now confident that we know how to build AGI",
    ),
)
assert all(in_the_original(p).url == ORIGINAL for p, _ in SAMPLE_PASSAGES)

SYNTHETIC_SLUG = "aldermoor-ferry"
SYNTHETIC_COPY_PATH = SAMPLES / "synthetic_copy.md"
SYNTHETIC_ORIGINAL_PATH = SAMPLES / "synthetic_original.md"
SYNTHETIC_DEK = (
    "A synthetic demo pair, invented for this site: a local news report and a copy that drifts from it in "
    "every way the compare view shows. Open “Compare with the original”."
)
SYNTHETIC_SOURCE = {
    "original_url": "https://example.org/aldermoor-gazette/winter-ferry",
    "original_title": "Aldermoor suspends winter ferry to Skelby Island",
    "original_author": "The Aldermoor Gazette (invented for the demo)",
    "original_published_on": dt.date(2025, 11, 4),
    "original_language": "en",
    "publisher_name": "Demo Republisher (invented)",
    "copy_published_on": dt.date(2025, 11, 5),
    "copy_language": "en",
    "rights_note": "Both texts are synthetic, written for this demo; no such town, council or ferry exists.",
    "editorial_notes": "Every kind of drift is deliberate: an added lead, dropped hedges, an omitted "
    "paragraph, a split, a merge and a moved paragraph.",
    "original_rights": OriginalRights.READERS,
}


def cited_excerpts() -> set[str]:
    return {e.excerpt for spec in DEMO_ANNOTATIONS for e in spec.evidence if e.url == ORIGINAL}


def _block_key(article: Article, start: str) -> str:
    found = [b.key for b in article.blocks.current() if b.text.startswith(start)]
    if len(found) != 1:
        raise ValueError(f"demo original: {len(found)} paragraphs start with {start!r}")
    return found[0]


@transaction.atomic
def add_sample_original(*, article: Article, editor=None) -> OriginalResult:
    """The sample's original passages ("excerpts" rights, passages only), linked to the copy by an editor's
    corrections; nothing changes the second time."""
    new = not OriginalText.objects.filter(article=article).exists()
    result = attach_original(
        article=article,
        text="\n\n".join(passage for passage, _ in SAMPLE_PASSAGES),
        coverage=OriginalText.Coverage.PASSAGES,
        rights=OriginalRights.EXCERPTS if new else None,  # an editor's later choice is kept
        actor=editor,
        note="The passages of the original that the press quoted verbatim.",
    )
    if not AlignmentCorrection.objects.filter(article=article).exists():
        blocks = {b.text: b.key for b in result.original.blocks.current()}
        for passage, start in SAMPLE_PASSAGES:
            save_correction(
                article=article, copy_keys=[_block_key(article, start)], original_keys=[blocks[passage]], actor=editor
            )
    return result


@transaction.atomic
def add_synthetic_pair(*, editor=None) -> tuple[Article, OriginalResult]:
    """The synthetic copy (imported like any article) and its original ("readers" rights, full text)."""
    parsed = parse_document(
        read_document(SYNTHETIC_COPY_PATH, max_bytes=settings.IMPORT_MAX_BYTES), filename=SYNTHETIC_COPY_PATH.name
    )
    article = import_article(parsed=parsed, slug=SYNTHETIC_SLUG).article
    if not article.dek:
        article.dek = SYNTHETIC_DEK
        article.save(update_fields=["dek", "updated_at"])
    source, _ = Source.objects.get_or_create(article=article)
    filled = [name for name in SYNTHETIC_SOURCE if getattr(source, name) in ("", None)]
    if not OriginalText.objects.filter(article=article).exists():  # the rights, once (an editor may change them)
        filled.append("original_rights")
    for name in filled:
        setattr(source, name, SYNTHETIC_SOURCE[name])
    if filled:
        source.full_clean()
        source.save()
    result = attach_original(
        article=article,
        text=read_document(SYNTHETIC_ORIGINAL_PATH, max_bytes=settings.IMPORT_MAX_BYTES),
        filename=SYNTHETIC_ORIGINAL_PATH.name,
        actor=editor,
    )
    return article, result
