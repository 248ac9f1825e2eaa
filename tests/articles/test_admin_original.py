"""The article admin's original page (issue 19): paste the original, rights, alignment, corrections."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import AlignmentCorrection, OriginalRights, OriginalText

pytestmark = pytest.mark.django_db

HARBOUR = "The harbour opened in 1887 after ten years of dredging, and the first ship to dock carried coal from Wales."
MARKET = "Every Saturday the market fills the square with farmers selling cheese, apples, honey and warm bread."
SCHOOL = "The village school has two classrooms, a garden the pupils plant each spring, and a library of old atlases."
COPY = [
    "Our correspondent visited a small town last week and sends this report about its daily life.",
    HARBOUR,
    "Every Saturday the market fills the town square with farmers who sell cheese, apples and fresh bread.",
]
ORIGINAL = "\n\n".join([HARBOUR, MARKET, SCHOOL])


@pytest.fixture
def town(make_article, set_text):
    article = make_article("A small town", slug="small-town", paragraphs=len(COPY))
    for i, text in enumerate(COPY, start=1):
        set_text(article, f"k{i:03d}", text)
    return article


def page(article) -> str:
    return reverse("admin:articles_article_original", args=[article.pk])


def attach(client, article, text=ORIGINAL, rights="readers"):
    return client.post(
        page(article), {"action": "original", "text": text, "coverage": "full", "rights": rights, "note": "first"}
    )


def test_the_change_page_links_to_the_original_page(client, editor, town):
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_change", args=[town.pk])).content.decode()
    assert page(town) in html and "No original text stored" in html
    assert 'name="source-0-original_rights"' in html


def test_paste_an_original_then_correct_the_alignment(client, editor, town):
    client.force_login(editor)
    assert client.get(page(town)).status_code == 200
    response = attach(client, town)
    assert response.status_code == 302
    original = OriginalText.objects.get(article=town)
    assert original.blocks.current().count() == 3
    town.source.refresh_from_db()
    assert town.source.original_rights == OriginalRights.READERS
    assert original.revisions.get().created_by == editor

    html = client.get(page(town)).content.decode()
    assert "reworded" in html and "omitted" in html and "added" in html
    school = original.blocks.get(text=SCHOOL).key
    response = client.post(page(town), {"action": "correct", "copy_keys": ["k001"], "original_keys": [school]})
    assert response.status_code == 302
    correction = AlignmentCorrection.objects.get()
    assert (correction.copy_keys, correction.original_keys, correction.created_by) == (["k001"], [school], editor)
    assert "(editor)" in client.get(page(town)).content.decode()

    # the original loses that paragraph: the correction is reported as dropped
    attach(client, town, text="\n\n".join([HARBOUR, MARKET]))
    html = client.get(page(town)).content.decode()
    assert "no longer apply" in html and "no longer exists" in html

    response = client.post(page(town), {"action": "remove", "correction": correction.pk})
    assert response.status_code == 302 and not AlignmentCorrection.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("\n".join(COPY), "identical to the copy"), ("  ", "is empty"), ("Bell\x07", "control character")],
)
def test_bad_originals_are_refused_with_a_message(client, editor, town, text, message):
    client.force_login(editor)
    response = attach(client, town, text=text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OriginalText.objects.exists()


def test_bad_corrections_are_refused_with_a_message(client, editor, town):
    client.force_login(editor)
    attach(client, town)
    response = client.post(page(town), {"action": "correct"})
    assert response.status_code == 400 and "Choose a paragraph" in response.content.decode()
    response = client.post(page(town), {"action": "correct", "copy_keys": ["nope"]})
    assert response.status_code == 400
    assert not AlignmentCorrection.objects.exists()


def test_only_those_who_may_change_articles(client, moderator, make_user, town):
    assert client.get(page(town)).status_code == 302  # to the login
    client.force_login(make_user("reader"))
    assert client.get(page(town)).status_code == 302
    client.force_login(moderator)
    assert client.get(page(town)).status_code == 403
    assert attach(client, town).status_code == 403
    assert not OriginalText.objects.exists()
