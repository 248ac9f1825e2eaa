"""Every ``<time datetime>`` a page shows is a valid HTML date-time: to the second, never with microseconds.

HTML allows at most three fraction digits; Python's ``isoformat()`` and Django's
``|date:'c'`` write six whenever the value has microseconds (stored timestamps do).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.models import Annotation
from articles.demo import SAMPLE_PATH
from articles.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db

DATETIME = re.compile(r'<time datetime="([^"]+)"')
# a valid global date and time string at seconds precision: 2026-12-03T05:24:20+00:00 (or +0000, or Z)
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:?\d{2})$")
WITH_MICROSECONDS = datetime(2026, 12, 3, 5, 24, 20, 423587, tzinfo=UTC)


def datetimes(response) -> list[str]:
    assert response.status_code == 200
    return [v for v in DATETIME.findall(response.content.decode()) if "T" in v]  # dates alone are fine


def test_cards_give_seconds(client, author, make_annotation, make_article):
    article = make_article()
    annotation = make_annotation(article=article, kind="fact_check", verdict="false", claim="A claim")
    Annotation.objects.filter(pk=annotation.pk).update(
        created_at=WITH_MICROSECONDS,
        edited_at=WITH_MICROSECONDS + timedelta(hours=1),
        anchor_reviewed_at=WITH_MICROSECONDS + timedelta(hours=2),
    )
    client.force_login(author)
    for url in (article.get_absolute_url(), annotation.get_absolute_url(), reverse("annotations:annotation-mine")):
        values = datetimes(client.get(url))
        assert values, url
        assert all(SECONDS.match(v) for v in values), (url, values)
    page = client.get(annotation.get_absolute_url()).content.decode()
    for value in ("2026-12-03T05:24:20+00:00", "2026-12-03T06:24:20+00:00", "2026-12-03T07:24:20+00:00"):
        assert f'datetime="{value}"' in page  # created, edited, re-checked: each to the second


def test_revision_pages_give_seconds(client, tmp_path):
    call_command("import_article", str(SAMPLE_PATH), stdout=StringIO())
    article = Article.objects.get()
    text = SAMPLE_PATH.read_text(encoding="utf-8")
    first = text.split("\n\n")[2]
    revised = tmp_path / "revised.txt"
    revised.write_text(text.replace(first, first + " (corrected)", 1), encoding="utf-8")
    call_command("import_article", str(revised), stdout=StringIO())
    ArticleRevision.objects.filter(article=article).update(created_at=WITH_MICROSECONDS)
    assert article.revisions.count() == 2
    for url in (
        article.get_absolute_url(),
        reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 2}),
    ):
        values = datetimes(client.get(url))
        assert values, url
        assert all(SECONDS.match(v) for v in values), (url, values)
