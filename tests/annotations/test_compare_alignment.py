"""The alignment as W3C Web Annotations: /articles/<slug>/alignment/ (issue 19).

The ``check_*`` helpers restate the MUSTs of the Web Annotation Data Model (https://www.w3.org/TR/annotation-model/,
sections 3-5) that apply to what this collection publishes, as ``tests/annotations/test_w3c.py`` does for the
annotations' collection (test modules do not import one another): linking annotations whose bodies are
SpecificResources with a TextQuoteSelector and a describing TextualBody, whose targets are SpecificResources
with a FragmentSelector.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations.models import Annotation
from articles.models import Article, OriginalRights
from articles.services.originals import attach_original, save_correction

pytestmark = pytest.mark.django_db

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")

HARBOUR = "The harbour opened in 1887 after ten years of dredging, and the first ship to dock carried coal from Wales."
MARKET = "Every Saturday the market fills the square with farmers selling cheese, apples, honey and warm bread."
SCHOOL = "The village school has two classrooms, a garden the pupils plant each spring, and a library of old atlases."
RIVER = "Floods used to reach the church steps until the river was widened and a stone wall was built along it."
FESTIVAL = "In August a music festival brings brass bands from the whole valley to play on a stage by the lake."
LEAD = "Our correspondent visited a small town last week and sends this report about its daily life."
COPY = [
    LEAD,
    HARBOUR,
    "Every Saturday the market fills the town square with farmers who sell cheese, apples and fresh bread.",
    "The village school has two classrooms and a garden the pupils plant each spring.",
    "It also has a library of old atlases.",
    RIVER.rstrip(".") + ", and " + FESTIVAL[0].lower() + FESTIVAL[1:],
]
ORIGINAL = "\n\n".join([HARBOUR, MARKET, SCHOOL, RIVER, FESTIVAL])


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def check_iri(value, what):
    assert isinstance(value, str) and IRI.match(value), f"{what} must be an IRI, got {value!r}"


def check_selector(selector):
    assert selector["type"] in {"TextQuoteSelector", "FragmentSelector"}
    if selector["type"] == "TextQuoteSelector":
        assert isinstance(selector["exact"], str) and selector["exact"]
    else:
        assert isinstance(selector["value"], str) and selector["value"]
        check_iri(selector["conformsTo"], "conformsTo")


def check_specific_resource(resource):
    """Model 4: exactly one source, an IRI; no value, no items; its selectors well formed."""
    assert resource["type"] == "SpecificResource"
    assert not isinstance(resource["source"], list)
    check_iri(resource["source"], "source")
    assert "value" not in resource and "items" not in resource
    for selector in as_list(resource.get("selector", [])):
        check_selector(selector)
    if "purpose" in resource:
        assert all(p in MOTIVATIONS for p in as_list(resource["purpose"]))
    if "language" in resource:
        assert LANGUAGE.match(resource["language"])


def check_annotation(data, *, embedded=True):
    """Model 3: an IRI id, type Annotation, 1+ targets, bodies well formed, a known motivation."""
    if not embedded:
        assert next(iter(data)) == "@context" and data["@context"] == ANNO_CONTEXT
    check_iri(data["id"], "id")
    assert data["type"] == "Annotation"
    assert data["motivation"] == "linking"
    assert data["target"], "an Annotation MUST have 1 or more targets"
    for target in as_list(data["target"]):
        check_specific_resource(target)
        assert target["selector"]["type"] == "FragmentSelector"
    assert "bodyValue" not in data
    for body in as_list(data["body"]):
        if body["type"] == "TextualBody":
            assert isinstance(body["value"], str) and "source" not in body
            assert body["purpose"] in MOTIVATIONS
        else:
            check_specific_resource(body)


def check_collection(data):
    """Model 5.1: context first, IRI id, AnnotationCollection, label, total, first and last when not empty."""
    assert next(iter(data)) == "@context" and data["@context"] == ANNO_CONTEXT
    check_iri(data["id"], "id")
    assert data["type"] == "AnnotationCollection"
    assert isinstance(data["label"], str) and data["label"]
    assert isinstance(data["total"], int) and data["total"] >= 0
    if data["total"]:
        check_page(data["first"], embedded=True)
        check_iri(data["last"], "last")
    else:
        assert "first" not in data


def check_page(data, *, embedded=False):
    """Model 5.2: an AnnotationPage with an IRI id, 1+ items, partOf and startIndex."""
    if not embedded:
        assert next(iter(data)) == "@context" and data["@context"] == ANNO_CONTEXT
    check_iri(data["id"], "id")
    assert data["type"] == "AnnotationPage"
    assert data["items"], "a page MUST have items"
    for item in data["items"]:
        check_annotation(item)
    check_iri(data["partOf"]["id"], "partOf")
    assert data["startIndex"] == 0


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def town(make_article, set_text):
    article = make_article("A small town", slug="small-town", paragraphs=len(COPY))
    for i, text in enumerate(COPY, start=1):
        set_text(article, f"k{i:03d}", text)
    source = article.source
    source.original_url = "https://example.org/town"
    source.original_language = "en"
    source.save()
    return article


def url(article, **query) -> str:
    base = reverse("annotations:article-alignment", kwargs={"slug": article.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def get(client, article, **query):
    response = client.get(url(article, **query))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    assert response["ETag"]
    return response.json()


# ---------------------------------------------------------------- tests


def test_every_aligned_pair_is_a_linking_annotation(client, town, editor):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    okeys = [b.key for b in town.original.blocks.current()]
    save_correction(article=town, copy_keys=["k001"], original_keys=[], actor=editor)  # added, by an editor
    data = get(client, town)
    check_collection(data)
    items = data["first"]["items"]
    # same, reworded, split and merged are linked; added (the lead) has nothing to link to
    assert data["total"] == len(items) == 4
    targets = [[t["selector"]["value"] for t in as_list(item["target"])] for item in items]
    assert targets == [["p-k002"], ["p-k003"], ["p-k004", "p-k005"], ["p-k006"]]
    merged = items[3]
    quotes = [b["selector"]["exact"] for b in merged["body"] if b["type"] == "SpecificResource"]
    assert quotes == [RIVER, FESTIVAL]
    assert all(b["source"] == "https://example.org/town" for b in merged["body"] if b["type"] == "SpecificResource")
    assert any(b["type"] == "TextualBody" and b["value"].startswith("Merged, drift") for b in merged["body"])
    assert items[0]["target"]["source"] == f"http://testserver/articles/{town.slug}/"
    assert len({item["id"] for item in items}) == 4 and okeys  # ids distinct

    page = get(client, town, page=1)
    check_page(page)
    assert page["items"] == items


def test_without_an_original_the_collection_is_empty(client, town):
    data = get(client, town)
    check_collection(data)
    assert data["total"] == 0


def test_rights_editors_only_publishes_nothing(client, town):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.EDITORS)
    data = get(client, town)
    assert data["total"] == 0 and MARKET not in str(data)


def test_rights_excerpts_publishes_only_the_cited_pairs(client, town, make_annotation):
    make_annotation(
        article=town,
        block="k003",
        kind=Annotation.Kind.FACT_CHECK,
        claim="A claim.",
        verdict="mistranslation",
        evidence=[{"url": "https://example.org/town", "title": "Town", "excerpt": "farmers selling cheese"}],
    )
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.EXCERPTS)
    data = get(client, town)
    check_collection(data)
    assert data["total"] == 1
    assert data["first"]["items"][0]["body"][0]["selector"]["exact"] == MARKET
    for withheld in (HARBOUR, SCHOOL, RIVER, FESTIVAL):
        assert withheld not in str(data)


def test_drafts_unknown_articles_bad_pages_and_writes(client, town):
    Article.objects.filter(pk=town.pk).update(status=Article.Status.DRAFT)
    assert client.get(url(town)).status_code == 404
    Article.objects.filter(pk=town.pk).update(status=Article.Status.PUBLISHED)
    assert client.get("/articles/no-such/alignment/").status_code == 404
    assert client.get(url(town, page=2)).status_code == 404
    assert client.get(url(town, page="x")).status_code == 400
    assert client.post(url(town)).status_code == 405
    etag = client.get(url(town))["ETag"]
    assert client.get(url(town), headers={"if-none-match": etag}).status_code == 304


def test_query_count(client, town, django_assert_num_queries):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    # the article (with source and original), its blocks, the original's blocks, the corrections
    with django_assert_num_queries(4):
        client.get(url(town))
