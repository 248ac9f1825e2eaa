"""The admin and the public form refuse the same bad inputs with the same messages.

Each case is posted twice: through the public annotate form
(``annotations:annotation-create``, by an annotator) and through the admin's
add form (``admin:annotations_annotation_add``, by an editor). Both must refuse
it, write nothing, show the form again, and say the same thing. The reference
is the message the public form shows today (from its own form or from the
validators of ``annotations.services``); where the public form has none, the
services' message.

The public form answers a refused POST with 400, the admin's add form with 200
(Django's admin re-shows a form with errors as a 200).

Two inputs cannot be named by the public form at all (its URL is the article
and the paragraph key): a paragraph of another article, and an image block.
The public view answers 404 for them (nothing to re-show); the admin must show
the message ``annotations.services.create_annotation`` gives for the same input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

import pytest
from django.urls import reverse

from articles.models import Block
from tests.factories import ArticleFactory, BlockFactory
from tests.helpers import admin_add_payload, annotate_payload

pytestmark = pytest.mark.django_db

TEXT = "The minister said the budget grew by four percent last year, and the budget grew again this year."
SOURCE = {"url": "https://stats.example.org/2023", "title": "Budget statistics"}
CONTROL_VT = (
    "Remove the invisible control character U+000B: text may contain line breaks and tabs, "
    "but no other control characters."
)
CONTROL_ESC = (
    "Remove the invisible control character U+001B: text may contain line breaks and tabs, "
    "but no other control characters."
)


@dataclass(frozen=True)
class Case:
    """A bad input: the fields both forms share, the evidence rows, and the message both must show."""

    message: str
    fields: dict = field(default_factory=dict)
    evidence: tuple = ()
    # "other article" / "image": the paragraph the input is about (the public form's URL cannot name it)
    block: str = "paragraph"


def fact_check(**fields) -> dict:
    return {"kind": "fact_check", "verdict": "false", "body": "The office says 2.1%.", **fields}


def note(**fields) -> dict:
    return {"kind": "note", "body": "A note.", **fields}


CASES = {
    "quote not in the paragraph": Case(
        "The quote does not occur in this paragraph. Copy it exactly from the text.",
        note(quote="the deficit shrank"),
    ),
    "ambiguous quote occurring twice": Case(
        "The quote occurs 2 times in this paragraph; include a few more words so it is unique.",
        note(quote="the budget grew"),
    ),
    "fact-check without evidence": Case(
        "A fact-check needs at least one evidence source (a URL and a title).",
        fact_check(),
    ),
    # the public view drops a note's evidence rows today and saves the note: this case fails on the public side
    "evidence on a note": Case(
        "Only fact-checks have evidence sources; remove them or make this a fact-check.",
        note(),
        (SOURCE,),
    ),
    "evidence URL not http(s)": Case(
        "Enter an http:// or https:// address.",
        fact_check(),
        ({"url": "ftp://files.example.org/budget.csv", "title": "Budget file"},),
    ),
    # the public evidence formset refuses an 11th row itself (max_num=10, validate_max), with the services' message
    "more than 10 evidence sources": Case(
        "Give at most 10 evidence sources.",
        fact_check(),
        tuple({"url": f"https://example.org/{i}", "title": f"Source {i}"} for i in range(11)),
    ),
    "too many tags": Case(
        "Use at most 10 tags (you gave 11).",
        note(tags=", ".join(f"tag{i}" for i in range(11))),
    ),
    "too long a tag": Case(
        f"Tags have at most 40 characters: “{'a' * 40}…” is longer.",
        note(tags=f"budget, {'a' * 41}"),
    ),
    "empty body": Case("This field is required.", note(body="")),
    # one rule for user text (accounts.text): control characters other than tab and line breaks are refused
    "control character in the body": Case(CONTROL_VT, note(body="A note\x0bwith a vertical tab.")),
    "escape character in the claim": Case(CONTROL_ESC, fact_check(claim="The \x1b[31mbudget"), (SOURCE,)),
    "control character in the quote": Case(CONTROL_VT, note(quote="the budget\x0bgrew")),
    "control character in a tag": Case(CONTROL_VT, note(tags="budget, tax\x0bes")),
    "C1 control in an evidence title": Case(
        "Remove the invisible control character U+0085: text may contain line breaks and tabs, "
        "but no other control characters.",
        fact_check(),
        ({"url": "https://stats.example.org/2023", "title": "Budget\x85statistics"},),
    ),
    "DEL in an evidence excerpt": Case(
        "Remove the invisible control character U+007F: text may contain line breaks and tabs, "
        "but no other control characters.",
        fact_check(),
        ({**SOURCE, "excerpt": "Spending rose\x7f."},),
    ),
    "fact-check without a verdict": Case("A fact-check needs a verdict.", fact_check(verdict=""), (SOURCE,)),
    "paragraph of another article": Case("That paragraph is not part of this article.", note(), block="other article"),
    "image block": Case("Image placeholders cannot be annotated; choose a paragraph.", note(), block="image"),
}


def errors_shown(response) -> list[str]:
    """Every error message on the page (each ``<li>`` of an ``errorlist``), as text."""
    page = response.content.decode()
    items = []
    for errorlist in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, flags=re.S):
        items += re.findall(r"<li>(.*?)</li>", errorlist, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.fixture
def setting(article, set_text):
    """The article with the quoted paragraph (k001), an image block, and another article."""
    paragraph = set_text(article, "k001", TEXT)
    image = BlockFactory(article=article, kind=Block.Kind.IMAGE, text="A chart of the budget")
    other = ArticleFactory(title="Another article", slug="another-article", paragraphs=0)
    elsewhere = BlockFactory(article=other, key="x001", text="A paragraph of another article.")
    return {"paragraph": paragraph, "image": image, "other article": elsewhere}


def post_public(client, author, article, block, case):
    client.force_login(author)
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": block.key})
    return client.post(url, annotate_payload(evidence=case.evidence, **case.fields))


def post_admin(client, editor, article, block, case):
    client.force_login(editor)
    url = reverse("admin:annotations_annotation_add")
    page = client.get(f"{url}?article={article.pk}")
    assert page.status_code == 200
    data = admin_add_payload(page, evidence=case.evidence, article=article.pk, block=block.pk, **case.fields)
    return client.post(url, data)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_the_public_form_refuses_it_with_the_message(name, client, author, article, setting, counts):
    case = CASES[name]
    block = setting[case.block]
    before = counts()
    response = post_public(client, author, article, block, case)
    assert counts() == before, "the public form wrote rows"
    if case.block != "paragraph":
        # the URL names a paragraph the article does not have (or cannot be annotated): no form to re-show
        assert response.status_code == 404
        return
    assert response.status_code == 400, response.status_code
    assert 'class="annotation-form"' in response.content.decode()  # the form again
    assert case.message in errors_shown(response), errors_shown(response)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_the_admin_refuses_it_with_the_same_message(name, client, editor, article, setting, counts):
    case = CASES[name]
    before = counts()
    response = post_admin(client, editor, article, setting[case.block], case)
    assert counts() == before, "the admin wrote rows"
    assert response.status_code == 200, response.status_code  # the add form again, with its errors
    assert 'id="annotation_form"' in response.content.decode()
    assert case.message in errors_shown(response), errors_shown(response)
