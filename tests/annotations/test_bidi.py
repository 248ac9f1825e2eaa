"""User text inlined in running text is isolated for bidirectional layout (``<bdi>``).

Bidi controls are accepted at input (``accounts.text``: people writing Arabic or
Hebrew use them), so a claim holding a right-to-left override must not pull the
closing quotation mark and the words after it into its reversed run.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations.models import Annotation

pytestmark = pytest.mark.django_db

CLAIM = "Spending \u202erose\u202c by \u2067four\u2069 percent"
QUOTE_WAS = "the old \u202bwording\u202c here"


def visible_html(page: str) -> str:
    """The page without its scripts (the JSON-LD carries the claim as data)."""
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)


def test_claims_are_isolated_in_the_summary_and_the_cards(client, article, make_annotation):
    check = make_annotation(
        article=article, kind="fact_check", verdict="false", claim=CLAIM, body="The office says 2.1%."
    )
    # re-anchoring kept it on other words: the card says what it checked
    Annotation.objects.filter(pk=check.pk).update(text_changed=True, original_quote=QUOTE_WAS)
    page = visible_html(client.get(article.get_absolute_url()).content.decode())
    assert f"“<bdi>{CLAIM}</bdi>”" in page  # the fact-check summary
    assert f"<strong>Claim:</strong> <bdi>{CLAIM}</bdi>" in page  # the card
    assert f"earlier wording: “<bdi>{QUOTE_WAS}</bdi>”" in page  # the earlier-wording note
    # nowhere unisolated
    assert page.count(CLAIM) == page.count(f"<bdi>{CLAIM}</bdi>") >= 2
    assert page.count(QUOTE_WAS) == page.count(f"<bdi>{QUOTE_WAS}</bdi>") == 1


def test_tags_names_and_evidence_titles_are_isolated(client, article, make_annotation, make_user):
    writer = make_user("\u05d3\u05d5\u05d3", groups=["annotators"])  # a Hebrew name
    check = make_annotation(
        article=article,
        author=writer,
        kind="fact_check",
        verdict="false",
        claim="A claim",
        tags=["\u05ea\u05e7\u05e6\u05d9\u05d1"],
        evidence=[{"url": "https://example.org/x", "title": "Report \u202eeulav\u202c 2023"}],
    )
    page = client.get(reverse("annotations:annotation-detail", kwargs={"pk": check.pk})).content.decode()
    assert "<bdi>\u05d3\u05d5\u05d3</bdi></a>" in page
    assert 'rel="tag"><bdi>\u05ea\u05e7\u05e6\u05d9\u05d1</bdi></a>' in page
    assert "><bdi>Report \u202eeulav\u202c 2023</bdi></a>" in page
