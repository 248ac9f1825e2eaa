"""schema.org ClaimReview JSON-LD for approved, public fact-checks (pure presenter).

``claim_review`` turns one fact-check into a ClaimReview dict;
``claim_reviews_script`` turns many into JSON text that is safe to place
between ``<script type="application/ld+json">`` and ``</script>``: ``<``,
``>`` and ``&`` (and U+2028/U+2029) are written as ``\\u003c``-style escapes,
as ``django.utils.html.json_script`` does, so user text such as
``</script><script>…`` cannot end the element. The JSON stays valid and
parses back to the same strings.

Only approved, public fact-checks of a published article are ever exported:
``claim_review`` refuses anything else and ``claim_reviews_script`` skips it.

No database access happens here when the caller has loaded what the page
shows anyway: the article with its source (``select_related("source")``) and,
only for a fact-check with neither claim nor quote, the annotation's block.

Ratings follow ``annotations.verdicts``: ``ratingValue``/``bestRating``/
``worstRating`` appear only for verdicts with a number on the published
scale; every review carries the verdict's label as ``name`` and
``alternateName``.

Who made the claim (``itemReviewed.author``) and when (``datePublished``):
the words checked are those of the copy we store. In a translation they are
the publisher's (``Source.publisher_name``, an Organization) and date from
the copy (``copy_published_on``, else the article's ``published_on``);
otherwise they are the original author's (a Person) and date from the
original (else from the copy). Nothing is invented: an unknown author or date
is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from annotations.exports.links import absolute, base_url_of
from annotations.models import Annotation
from annotations.verdicts import BEST_RATING, WORST_RATING
from annotations.verdicts import info as verdict_info
from articles.models import Article

SCHEMA_CONTEXT = "https://schema.org"
CLAIM_FALLBACK_LENGTH = 500  # characters of the paragraph used when a fact-check names no claim

# The characters that could end a <script> element or start an HTML comment
# or entity, written as JSON escapes (the same table as Django's json_script),
# plus the two line separators some JavaScript parsers reject in strings.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def is_exportable(annotation: Annotation, article: Article) -> bool:
    """An approved, public fact-check with a known verdict, on ``article``, which is published."""
    return (
        article.is_published
        and annotation.article_id == article.pk
        and annotation.is_fact_check
        and annotation.is_public_and_approved
        and verdict_info(annotation.verdict) is not None
    )


def _iso_date(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


def _source_of(article: Article):
    # RelatedObjectDoesNotExist is an AttributeError: no Source row → None.
    return getattr(article, "source", None)


def _claim_author_and_date(article: Article, source) -> tuple[dict[str, Any] | None, date | None]:
    """Who published the words checked, and when: the copy's publisher for a translation, else the original's author."""
    copy_date = (source.copy_published_on if source is not None else None) or article.published_on
    if source is None:
        return None, copy_date
    if source.is_translation:
        publisher = source.publisher_name.strip()
        if not publisher:
            return None, copy_date
        organization: dict[str, Any] = {"@type": "Organization", "name": publisher}
        if source.publisher_url:
            organization["url"] = source.publisher_url
        return organization, copy_date
    author = source.original_author.strip()
    return ({"@type": "Person", "name": author} if author else None), source.original_published_on or copy_date


def claim_reviewed_text(annotation: Annotation) -> str:
    """The claim, else the quote, else the start of the paragraph."""
    text = (annotation.claim or "").strip() or (annotation.quote or "").strip()
    if not text:
        text = annotation.block.text.strip()
        if len(text) > CLAIM_FALLBACK_LENGTH:
            text = text[: CLAIM_FALLBACK_LENGTH - 1].rstrip() + "…"
    return " ".join(text.split())


def review_rating(verdict: str) -> dict[str, Any]:
    verdict_ = verdict_info(verdict)
    if verdict_ is None:
        raise ValueError(f"Unknown verdict {verdict!r}.")
    rating: dict[str, Any] = {"@type": "Rating", "name": verdict_.label, "alternateName": verdict_.label}
    if verdict_.rating is not None:
        rating.update(ratingValue=verdict_.rating, bestRating=BEST_RATING, worstRating=WORST_RATING)
    return rating


def claim_review(annotation: Annotation, *, article: Article, request_or_base_url=None) -> dict[str, Any]:
    """One ClaimReview for an approved, public fact-check on a published article.

    ``request_or_base_url`` gives the scheme and host of absolute URLs (a
    request, ``"https://example.org"``, or ``None`` for ``settings.SITE_URL``).
    Raises ``ValueError`` for anything that must not be exported.
    """
    if not is_exportable(annotation, article):
        raise ValueError(f"Annotation {annotation.pk} is not an approved public fact-check of a published article.")
    base_url = base_url_of(request_or_base_url)
    source = _source_of(article)

    claim: dict[str, Any] = {
        "@type": "Claim",
        "appearance": {
            "@type": "CreativeWork",
            "url": absolute(base_url, article.get_absolute_url()),
            "headline": article.title,
        },
    }
    author, published = _claim_author_and_date(article, source)
    if author is not None:
        claim["author"] = author
    if published is not None:
        claim["datePublished"] = _iso_date(published)
    if source is not None:
        if source.original_url:
            first: dict[str, Any] = {"@type": "CreativeWork", "url": source.original_url}
            if source.original_title.strip():
                first["headline"] = source.original_title.strip()
            claim["firstAppearance"] = first

    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": absolute(base_url, annotation.get_absolute_url()),
        "claimReviewed": claim_reviewed_text(annotation),
        "reviewRating": review_rating(annotation.verdict),
        "author": {
            "@type": "Organization",
            "name": settings.SITE_ORGANIZATION,
            "url": settings.SITE_URL,
        },
        "datePublished": _iso_date(annotation.moderated_at or annotation.created_at),
        "itemReviewed": claim,
    }


def claim_reviews(annotations: Iterable[Annotation], *, article: Article, base_url=None) -> list[dict[str, Any]]:
    """ClaimReviews for the exportable annotations among ``annotations``, in order, each once."""
    seen: set[int] = set()
    reviews = []
    for annotation in annotations:
        if annotation.pk in seen or not is_exportable(annotation, article):
            continue
        seen.add(annotation.pk)
        reviews.append(claim_review(annotation, article=article, request_or_base_url=base_url))
    return reviews


def script_safe_json(data: Any) -> str:
    """JSON text that cannot close or confuse the ``<script>`` element it is placed in."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def claim_reviews_script(annotations: Iterable[Annotation], *, article: Article, base_url=None) -> str:
    """The JSON-LD for the element's content: one ClaimReview object, or an array of them.

    Returns ``""`` when there is nothing to export (no element should be written).
    """
    reviews = claim_reviews(annotations, article=article, base_url=base_url)
    if not reviews:
        return ""
    return script_safe_json(reviews[0] if len(reviews) == 1 else reviews)
