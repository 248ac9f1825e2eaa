"""The demo's originals (issue 19): the sample's cited passages and the synthetic pair, as setup_demo adds them."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from annotations.demo_compare import SAMPLE_PASSAGES, SYNTHETIC_SLUG, cited_excerpts
from articles.alignment import KINDS
from articles.demo import SAMPLE_SLUG
from articles.models import AlignmentCorrection, Article, OriginalRights, OriginalText

pytestmark = pytest.mark.django_db


def setup_demo():
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("setup_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def row_kinds(html: str) -> list[str]:
    return re.findall(r'<li class="compare-row compare-([a-z_]+)"', html)


def test_the_sample_passages_are_only_wording_the_demo_fact_checks_cite():
    assert {passage for passage, _ in SAMPLE_PASSAGES} <= cited_excerpts()


def test_the_sample_original_is_its_cited_passages_aligned_by_an_editor(client):
    out = setup_demo()
    assert "Sample original: original attached: 4 blocks" in out
    article = Article.objects.get(slug=SAMPLE_SLUG)
    original = article.original
    assert original.coverage == OriginalText.Coverage.PASSAGES
    assert article.source.original_rights == OriginalRights.EXCERPTS
    assert article.source.original_url == "https://blog.samaltman.com/reflections"
    assert AlignmentCorrection.objects.filter(article=article).count() == 4

    html = client.get(f"{article.get_absolute_url()}?view=compare").content.decode()
    kinds = row_kinds(html)
    assert kinds.count("not_stored") == len(kinds) - 4
    assert sorted(k for k in kinds if k != "not_stored") == ["reworded"] * 4
    for passage, _ in SAMPLE_PASSAGES:  # each cited by a published fact-check, so readers see it
        assert passage.replace("'", "&#x27;") in html
    assert "aligned by an editor" in html and "Original not stored" in html

    # the second run changes nothing
    version = original.version
    setup_demo()
    original.refresh_from_db()
    assert original.version == version and AlignmentCorrection.objects.filter(article=article).count() == 4


def test_the_synthetic_pair_shows_every_kind_of_row(client):
    out = setup_demo()
    assert f"/articles/{SYNTHETIC_SLUG}/?view=compare" in out
    article = Article.objects.get(slug=SYNTHETIC_SLUG)
    assert article.source.original_rights == OriginalRights.READERS
    html = client.get(f"{article.get_absolute_url()}?view=compare").content.decode()
    assert set(row_kinds(html)) == set(KINDS)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Paragraphs unchanged: 2; reworded: 6; added in this copy: 1; left out of this copy: 1" in page
