"""User text inlined in running text is isolated for bidirectional layout (``<bdi>``).

Bidi controls are accepted at input (``accounts.text``: people writing Arabic or
Hebrew use them), so a claim holding a right-to-left override must not pull the
closing quotation mark and the words after it into its reversed run.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from annotations.models import Annotation, Tag

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


# ---------------------------------------------------------------- every reader page (issue 18)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses everything after it until its run is closed
OVERRIDE_CLAIM = f"Exports {RLO}fell{RLO} by half"
OVERRIDE_TAG = f"budget {RLO}cuts"
OVERRIDE_NAME = f"dana{RLO}evil"
OVERRIDE_TITLE = f"Ministry {RLO}report 2024"


class _Isolation(HTMLParser):
    """Text nodes holding ``needle``, each with whether an element around it isolates it (``<bdi>``, ``dir``)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    SKIPPED = {"script", "style", "title"}  # not rendered in the page, or plain text where no markup can go

    def __init__(self, needle: str):
        super().__init__(convert_charrefs=True)
        self.needle = needle
        self.stack: list[tuple[str, bool]] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, tag == "bdi" or dict(attrs).get("dir") in ("auto", "rtl", "ltr")))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.needle in data and not any(tag in self.SKIPPED for tag, _ in self.stack):
            self.found.append((data, any(isolating for _, isolating in self.stack)))


def texts_with(page: str, needle: str = RLO) -> tuple[list[str], list[str]]:
    """(isolated, not isolated): the page's text nodes holding ``needle``."""
    parser = _Isolation(needle)
    parser.feed(page)
    parser.close()
    return [t for t, ok in parser.found if ok], [t for t, ok in parser.found if not ok]


@pytest.fixture
def overrides(article, make_annotation, make_user):
    """A published fact-check whose claim, tag, author's name and evidence title each hold U+202E.

    Tag and user are written straight to the database: the forms refuse U+202E in both, so this is the
    page's own defence, should one get in (an import, an older row, the admin)."""
    writer = make_user(OVERRIDE_NAME, groups=["annotators"])
    check = make_annotation(
        article=article,
        author=writer,
        kind="fact_check",
        verdict="false",
        claim=OVERRIDE_CLAIM,
        body="The office reports a small rise.",
        evidence=[{"url": "https://example.org/report", "title": OVERRIDE_TITLE}],
    )
    tag = Tag.objects.create(name=OVERRIDE_TAG)
    check.tags.add(tag)
    return SimpleNamespace(check=check, tag=tag, writer=writer)


def _reader_pages(article, overrides) -> dict[str, str]:
    check, tag = overrides.check, overrides.tag
    return {
        "article page": article.get_absolute_url(),
        "permalink": reverse("annotations:annotation-detail", kwargs={"pk": check.pk}),
        "author page": reverse("annotations:author-detail", kwargs={"username": OVERRIDE_NAME}),
        "tag page": reverse("annotations:tag-detail", kwargs={"slug": tag.slug}),
        "search results": f"{reverse('annotations:search')}?q=Exports",
    }


@pytest.mark.parametrize("page_name", ["article page", "permalink", "author page", "tag page", "search results"])
def test_text_with_a_right_to_left_override_is_isolated_on_every_reader_page(client, article, overrides, page_name):
    response = client.get(_reader_pages(article, overrides)[page_name])
    assert response.status_code == 200
    isolated, leaking = texts_with(response.content.decode())
    assert not leaking, f"{page_name}: user text with U+202E outside <bdi>/dir: {leaking}"
    # each value is on the page, and isolated (not merely absent)
    for value in (OVERRIDE_CLAIM, OVERRIDE_TAG, OVERRIDE_NAME, OVERRIDE_TITLE):
        assert any(value in text for text in isolated), f"{page_name}: {value!r} is not on the page, isolated"


def test_the_atom_feed_carries_the_same_text_unchanged(client, article, overrides):
    """Feed titles, categories and author names are plain text: no isolation markup goes into them."""
    response = client.get(reverse("annotations:article-feed", kwargs={"slug": article.slug}))
    assert response.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(response.content)  # still well-formed XML
    (entry,) = root.findall(f"{atom}entry")
    assert OVERRIDE_CLAIM in entry.findtext(f"{atom}title")
    assert [c.get("term") for c in entry.findall(f"{atom}category")] == [OVERRIDE_TAG]
    assert entry.findtext(f"{atom}author/{atom}name") == OVERRIDE_NAME
    for text in (entry.findtext(f"{atom}title"), entry.findtext(f"{atom}author/{atom}name")):
        assert "bdi" not in text
    assert OVERRIDE_CLAIM in entry.findtext(f"{atom}content")
