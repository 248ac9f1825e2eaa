"""W3C Web Annotation JSON-LD: /annotations/<id>.jsonld and /articles/<slug>/annotations/.

The ``check_*`` helpers below restate the MUSTs of the Web Annotation Data
Model (https://www.w3.org/TR/annotation-model/, sections 3-5) and the
Web Annotation Protocol (https://www.w3.org/TR/annotation-protocol/) as plain
assertions, so the suite needs nothing outside the project at run time.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from annotations.exports import w3c
from annotations.models import Annotation
from articles.models import Article, Block

pytestmark = pytest.mark.django_db

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
BASE = "http://testserver"

# Model 3.3.5: the motivations (and purposes) the model defines.
MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip
SELECTOR_TYPES = {
    "FragmentSelector", "CssSelector", "XPathSelector", "TextQuoteSelector", "TextPositionSelector",
    "DataPositionSelector", "SvgSelector", "RangeSelector",
}  # fmt: skip
STATE_TYPES = {"TimeState", "HttpRequestState"}
AGENT_TYPES = {"Person", "Organization", "Software"}
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")  # RFC 3987: a scheme, then no spaces or delimiters
XSD_DATETIME_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
MEDIA_TYPE_PREFIX = re.compile(r"^(application|audio|example|font|image|message|model|multipart|text|video)/[^\s]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")  # BCP 47, primary subtag in lower case


# --- the model's MUSTs as assertions ---------------------------------------------------------


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def check_iri(value, what="value"):
    assert isinstance(value, str) and IRI.match(value), f"{what} must be an IRI, got {value!r}"


def check_single_iri(data, key):
    """Exactly one value, an IRI (a lone string, or a one-item list of one)."""
    value = data[key]
    if isinstance(value, list):
        assert len(value) == 1, f"{key} must have exactly one value"
        value = value[0]
    check_iri(value, key)


def check_datetime(value, what):
    """xsd:dateTime, which the model says SHOULD carry a timezone: we always give one."""
    assert isinstance(value, str) and XSD_DATETIME_WITH_ZONE.match(value), f"{what}: bad dateTime {value!r}"
    assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def check_context(data):
    """@context is the first key; anno.jsonld is its value or, in a list, its first value."""
    assert next(iter(data)) == "@context", "@context must come first"
    context = data["@context"]
    if isinstance(context, list):
        assert len(context) > 1, "a single @context value must be a string, not a list"
        assert context[0] == ANNO_CONTEXT
    else:
        assert context == ANNO_CONTEXT


def has_type(data, name) -> bool:
    return name in as_list(data.get("type", []))


def check_agent(agent):
    """Model 3.3.2: an Agent with an IRI id, a recognised type and at most one nickname."""
    assert isinstance(agent, dict)
    check_single_iri(agent, "id")
    types = as_list(agent["type"])
    assert types and all(t in AGENT_TYPES for t in types)
    assert isinstance(agent["nickname"], str) and agent["nickname"]


def check_state(state):
    if isinstance(state, str):
        return check_iri(state, "state")
    assert len(as_list(state["type"])) == 1 and state["type"] in STATE_TYPES
    if state["type"] == "TimeState":
        has_date = "sourceDate" in state
        has_range = "sourceDateStart" in state or "sourceDateEnd" in state
        assert has_date != has_range, "a TimeState has sourceDate, or sourceDateStart and sourceDateEnd, not both"
        for key in ("sourceDate", "sourceDateStart", "sourceDateEnd"):
            if key in state:
                check_datetime(state[key], key)
        if has_range:
            assert "sourceDateStart" in state and "sourceDateEnd" in state
        if "cached" in state:
            check_iri(state["cached"], "cached")


def check_selector(selector):
    if isinstance(selector, str):
        return check_iri(selector, "selector")
    kind = selector["type"]
    assert isinstance(kind, str) and kind in SELECTOR_TYPES, f"unknown selector {kind!r}"
    if kind == "FragmentSelector":
        assert isinstance(selector["value"], str) and selector["value"]
        if "conformsTo" in selector:
            check_iri(selector["conformsTo"], "conformsTo")
    if kind == "TextQuoteSelector":
        assert isinstance(selector["exact"], str) and selector["exact"]
        for key in ("prefix", "suffix"):
            if key in selector:
                assert isinstance(selector[key], str)
    if kind == "TextPositionSelector":
        start, end = selector["start"], selector["end"]
        assert isinstance(start, int) and isinstance(end, int) and 0 <= start <= end
    for refinement in as_list(selector.get("refinedBy", [])):
        check_selector(refinement)


def check_specific_resource(resource):
    """Model 4: exactly one source (an IRI or an external resource with an IRI id); no value, no items."""
    source = resource["source"]
    assert not isinstance(source, list), "a SpecificResource has exactly one source"
    check_iri(source if isinstance(source, str) else source["id"], "source")
    assert "value" not in resource and "items" not in resource
    for selector in as_list(resource.get("selector", [])):
        check_selector(selector)
    for state in as_list(resource.get("state", [])):
        check_state(state)
    if "purpose" in resource:
        assert all(p in MOTIVATIONS for p in as_list(resource["purpose"]))


def check_textual_body(body):
    """Model 3.2.4 / 3.2.1: a value string, no source or items; format, language, purpose well formed."""
    assert isinstance(body["value"], str)
    assert "source" not in body and "items" not in body
    if "type" in body:
        assert "TextualBody" in as_list(body["type"])
    for key, pattern in (("format", MEDIA_TYPE_PREFIX), ("language", LANGUAGE)):
        if key in body:
            assert len(as_list(body[key])) == 1 and pattern.match(as_list(body[key])[0]), f"bad {key}"
    if "purpose" in body:
        assert all(p in MOTIVATIONS for p in as_list(body["purpose"]))


def check_resource(resource, *, role):
    if isinstance(resource, str):
        return check_iri(resource, role)
    assert isinstance(resource, dict)
    if "source" in resource:
        return check_specific_resource(resource)
    if "value" in resource:
        assert role == "body", "a TextualBody cannot be a target"
        return check_textual_body(resource)
    # an External Web Resource: an IRI id, and (model 3.3.5) no purpose
    check_single_iri(resource, "id")
    assert "purpose" not in resource, "only SpecificResources and TextualBodies have a purpose"


def check_annotation(data):
    """Every MUST of model section 3 that applies to what we publish."""
    check_context(data)
    check_single_iri(data, "id")
    assert has_type(data, "Annotation")
    assert data.get("target"), "an Annotation MUST have 1 or more targets"
    for target in as_list(data["target"]):
        check_resource(target, role="target")
    assert not ("body" in data and "bodyValue" in data), "body and bodyValue MUST NOT both be present"
    for body in as_list(data.get("body", [])):
        check_resource(body, role="body")
    if "motivation" in data:
        assert all(m in MOTIVATIONS for m in as_list(data["motivation"]))
    for key in ("created", "modified", "generated"):
        if key in data:
            assert not isinstance(data[key], list) or len(data[key]) == 1
            check_datetime(as_list(data[key])[0], key)
    for agent in as_list(data.get("creator", [])):
        check_agent(agent)


def check_collection(data):
    """Model 5.1 and protocol 5: context, IRI id, AnnotationCollection (and BasicContainer), label, total, first, last."""
    check_context(data)
    check_single_iri(data, "id")
    assert has_type(data, "AnnotationCollection") and has_type(data, "BasicContainer")
    assert "http://www.w3.org/ns/ldp.jsonld" in as_list(data["@context"])
    assert isinstance(data["label"], str) and data["label"]
    assert isinstance(data["total"], int) and data["total"] >= 0
    if data["total"] > 0:
        assert "first" in data and "last" in data, "a non-empty collection MUST link to its first page"
    if "first" in data:
        first = data["first"]
        if isinstance(first, str):
            check_iri(first, "first")
        else:
            check_page(first, embedded=True)
    if "last" in data:
        check_single_iri(data, "last")
    if "modified" in data:
        check_datetime(data["modified"], "modified")


def check_page(data, *, embedded=False):
    """Model 5.2: an AnnotationPage with an IRI id and 1+ items, partOf, startIndex and next/prev links."""
    if not embedded:
        check_context(data)
        assert "partOf" in data
    check_single_iri(data, "id")
    assert has_type(data, "AnnotationPage")
    assert isinstance(data["items"], list) and data["items"], "a page MUST have items"
    for item in data["items"]:
        if isinstance(item, str):
            check_iri(item, "item")
        else:
            check_annotation(item)
    if "partOf" in data:
        part_of = data["partOf"]
        if isinstance(part_of, str):
            check_iri(part_of, "partOf")
        else:
            check_single_iri(part_of, "id")
            assert isinstance(part_of.get("total", 0), int) and part_of.get("total", 0) >= 0
            for key in ("first", "last"):
                if key in part_of:
                    check_single_iri(part_of, key)
    if "startIndex" in data:
        assert isinstance(data["startIndex"], int) and data["startIndex"] >= 0
    for key in ("next", "prev"):
        if key in data:
            check_single_iri(data, key)


def check_protocol_headers(response, *, container=False):
    """Protocol 4 and 5: media type, ETag, Allow, Link rel=type, Vary."""
    assert response["Content-Type"] == MEDIA_TYPE
    assert re.fullmatch(r'(W/)?"[^"]+"', response["ETag"])
    # a container also takes POST (annotations.views.protocol); its pages and the .jsonld documents are read-only
    allowed = {"GET", "HEAD", "OPTIONS", "POST"} if container else {"GET", "HEAD", "OPTIONS"}
    assert {m.strip() for m in response["Allow"].split(",")} == allowed
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert "accept" in vary
    link = response["Link"]
    if container:
        assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in link
        assert '<http://www.w3.org/ns/oa#AnnotationCollection>; rel="type"' in link
        assert '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"' in link
        assert "prefer" in vary
        assert response["Content-Location"] == response.json()["id"]
    else:
        assert '<http://www.w3.org/ns/ldp#Resource>; rel="type"' in link


def check_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]


# --- fixtures ------------------------------------------------------------------------------------


def jsonld_url(annotation) -> str:
    return reverse("annotations:annotation-jsonld", kwargs={"pk": annotation.pk})


def collection_url(article) -> str:
    return reverse("annotations:article-annotations-collection", kwargs={"slug": article.slug})


@pytest.fixture
def budget_article(make_article, set_text):
    article = make_article("The budget", slug="the-budget", language="en")
    set_text(article, "k001", "The minister said the budget grew by ten percent, and the deficit shrank.")
    set_text(article, "k002", "Critics 🎉 said the budget grew less than claimed.")
    return article


@pytest.fixture
def fact_check(make_annotation, budget_article):
    return make_annotation(
        article=budget_article,
        block="k001",
        kind=Annotation.Kind.FACT_CHECK,
        quote="the budget grew by ten percent",
        body="The *official* figures show 4%.",
        claim="The budget grew by ten percent.",
        verdict="misleading",
        tags=["budget", "Economy"],
        evidence=[
            {"url": "https://example.org/figures", "title": "Official figures", "excerpt": "grew 4%"},
            {"url": "https://example.org/report", "title": "Report", "archived_url": "https://archive.example.org/r"},
        ],
    )


@pytest.fixture
def note(make_annotation, budget_article):
    return make_annotation(article=budget_article, block="k002", body="Whole-paragraph note.")


def annotate_many(make_annotation, article, n, **extra):
    blocks = list(article.blocks.current())
    return [
        make_annotation(
            article=article,
            block=blocks[i % len(blocks)],
            kind=Annotation.Kind.FACT_CHECK if i % 2 else Annotation.Kind.NOTE,
            quote=blocks[i % len(blocks)].text.split()[0] if i % 3 else "",  # the first word occurs once
            body=f"Annotation {i}",
            tags=[f"tag {i % 5}", f"topic {i % 3}"],
            **extra,
        )
        for i in range(n)
    ]


# --- one annotation ------------------------------------------------------------------------------


def test_fact_check_is_a_valid_web_annotation_with_all_its_parts(client, fact_check, budget_article, author):
    response = client.get(jsonld_url(fact_check))

    assert response.status_code == 200
    check_protocol_headers(response)
    data = response.json()
    check_annotation(data)
    assert data["@context"] == ANNO_CONTEXT
    assert data["id"] == f"{BASE}/articles/the-budget/annotations/{fact_check.pk}"  # its IRI in the container
    assert data["type"] == "Annotation"
    assert data["motivation"] == "assessing"
    assert data["creator"] == {"id": f"{BASE}/users/author/", "type": "Person", "nickname": "author"}
    assert data["created"] == fact_check.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["modified"].endswith("Z")

    bodies = data["body"]
    text = [b for b in bodies if b.get("purpose") == "commenting"]
    assert text == [
        {
            "type": "TextualBody",
            "purpose": "commenting",
            "value": "The *official* figures show 4%.",
            "format": "text/markdown",  # the author's Markdown source (issue 18: it said text/plain)
            "language": "en",
        }
    ]
    # the verdict and the claim are plain text (tags carry no format)
    assert {b["format"] for b in bodies if b.get("purpose") in ("assessing", "describing")} == {"text/plain"}
    assert [b["value"] for b in bodies if b.get("purpose") == "assessing"] == ["Misleading"]
    assert [b["value"] for b in bodies if b.get("purpose") == "describing"] == ["The budget grew by ten percent."]
    assert sorted(b["value"] for b in bodies if b.get("purpose") == "tagging") == sorted(
        t.name for t in fact_check.tags.all()
    )
    assert all(b["type"] == "TextualBody" for b in bodies if b.get("purpose") == "tagging")
    evidence = [b for b in bodies if b.get("purpose") == "linking"]
    assert evidence == [
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {"id": "https://example.org/figures", "label": "Official figures"},
            "selector": {"type": "TextQuoteSelector", "exact": "grew 4%"},
        },
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {"id": "https://example.org/report", "label": "Report"},
            "state": {"type": "TimeState", "sourceDate": data["created"], "cached": "https://archive.example.org/r"},
        },
    ]

    target = data["target"]
    assert target["type"] == "SpecificResource"
    assert target["source"] == f"{BASE}/articles/the-budget/"
    selector, alternative = target["selector"]  # alternatives: the paragraph refined, and the quote alone
    assert selector["type"] == "FragmentSelector"
    assert selector["conformsTo"] == "http://tools.ietf.org/rfc/rfc3987"
    assert selector["value"] == "p-k001"
    quote, position = selector["refinedBy"]
    paragraph = budget_article.blocks.get(key="k001").text
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "the budget grew by ten percent",
        "prefix": "The minister said ",
        "suffix": ", and the deficit shrank.",
    }
    assert position["type"] == "TextPositionSelector"
    assert paragraph[position["start"] : position["end"]] == quote["exact"]
    assert alternative == quote  # for clients that do not implement refinedBy
    assert target["state"] == {"type": "TimeState", "sourceDate": data["created"]}


def test_note_on_a_whole_paragraph_has_one_comment_body_and_a_bare_fragment_selector(client, note):
    data = client.get(jsonld_url(note)).json()

    check_annotation(data)
    assert data["motivation"] == "commenting"
    assert data["body"] == [
        {
            "type": "TextualBody",
            "purpose": "commenting",
            "value": "Whole-paragraph note.",
            "format": "text/markdown",
            "language": "en",
        }
    ]
    assert data["target"]["selector"] == {
        "type": "FragmentSelector",
        "conformsTo": "http://tools.ietf.org/rfc/rfc3987",
        "value": "p-k002",
    }


def test_text_positions_count_code_points_not_utf16_units(client, make_annotation, budget_article):
    # "Critics 🎉 said …": the emoji is one code point (two UTF-16 units).
    annotation = make_annotation(article=budget_article, block="k002", quote="said the budget")
    position = client.get(jsonld_url(annotation)).json()["target"]["selector"][0]["refinedBy"][1]

    assert (position["start"], position["end"]) == (10, 25)


def test_body_language_follows_the_article_and_is_normalised(client, make_article, make_annotation):
    article = make_article("Chinese", slug="zh", language="ZH_hans")
    data = client.get(jsonld_url(make_annotation(article=article))).json()

    assert data["body"][0]["language"] == "zh-hans"
    check_annotation(data)


def test_annotation_of_a_deleted_account_has_no_creator(client, note, author):
    author.delete()

    data = client.get(jsonld_url(note)).json()

    assert "creator" not in data
    check_annotation(data)


def test_annotation_on_a_removed_paragraph_is_still_published(client, note):
    block = note.block
    block.mark_removed()
    block.save()

    response = client.get(jsonld_url(note))

    assert response.status_code == 200
    check_annotation(response.json())


def test_etag_gives_304_and_changes_with_the_annotation(client, note):
    first = client.get(jsonld_url(note))
    etag = first["ETag"]

    again = client.get(jsonld_url(note), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    assert client.get(jsonld_url(note), HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    Annotation.objects.filter(pk=note.pk).update(body="Changed.")
    changed = client.get(jsonld_url(note), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_head_and_options_are_supported_and_other_methods_refused(client, note):
    head = client.head(jsonld_url(note))
    assert head.status_code == 200
    assert head["Content-Type"] == MEDIA_TYPE and head["ETag"]

    options = client.options(jsonld_url(note))
    assert options.status_code == 200
    assert {m.strip() for m in options["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}

    for method in (client.post, client.put, client.patch, client.delete):
        refused = method(jsonld_url(note))
        check_problem(refused, 405)
        assert "GET" in refused["Allow"]
    assert Annotation.objects.filter(pk=note.pk).exists()


def test_annotation_links_to_its_html_permalink(client, note):
    link = client.get(jsonld_url(note))["Link"]

    assert f'<{BASE}/annotations/{note.pk}/>; rel="alternate"; type="text/html"' in link


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Annotation.Status.PENDING},
        {"status": Annotation.Status.REJECTED},
        {"status": Annotation.Status.HIDDEN},
        {"visibility": Annotation.Visibility.PRIVATE},
    ],
    ids=["pending", "rejected", "hidden", "private"],
)
def test_unpublished_annotations_are_404_even_for_their_author(client, make_annotation, budget_article, author, fields):
    annotation = make_annotation(article=budget_article, **fields)
    client.force_login(author)

    check_problem(client.get(jsonld_url(annotation)), 404)


def test_annotation_on_a_draft_article_is_404(client, make_article, make_annotation):
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)

    check_problem(client.get(jsonld_url(make_annotation(article=draft))), 404)


def test_unknown_annotation_is_404_json(client, db):
    check_problem(client.get("/annotations/999999.jsonld"), 404)


def test_presenter_runs_no_queries_on_loaded_rows(django_assert_num_queries, fact_check):
    annotation = (
        Annotation.objects.select_related("author", "block", "article")
        .prefetch_related("tags", "evidence")
        .get(pk=fact_check.pk)
    )

    with django_assert_num_queries(0):
        data = w3c.annotation_to_jsonld(annotation, base_url="https://example.org/")

    assert data["id"] == f"https://example.org/articles/the-budget/annotations/{fact_check.pk}"
    check_annotation(data)


# --- the collection and its pages ------------------------------------------------------------------


def test_collection_defaults_to_contained_descriptions(client, fact_check, note, budget_article):
    response = client.get(collection_url(budget_article))

    assert response.status_code == 200
    check_protocol_headers(response, container=True)
    data = response.json()
    check_collection(data)
    assert data["@context"] == [ANNO_CONTEXT, "http://www.w3.org/ns/ldp.jsonld"]
    assert data["id"] == f"{BASE}/articles/the-budget/annotations/"
    assert data["type"] == ["BasicContainer", "AnnotationCollection"]
    assert "The budget" in data["label"]
    assert data["total"] == 2
    assert data["modified"] == max(fact_check.updated_at, note.updated_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    first = data["first"]
    assert first["id"] == f"{BASE}/articles/the-budget/annotations/?page=0"
    assert first["type"] == "AnnotationPage" and first["startIndex"] == 0
    assert "next" not in first and "prev" not in first
    assert [item["id"] for item in first["items"]] == [
        f"{BASE}/articles/the-budget/annotations/{fact_check.pk}",  # paragraph k001
        f"{BASE}/articles/the-budget/annotations/{note.pk}",  # paragraph k002
    ]
    assert all(item["@context"] == ANNO_CONTEXT for item in first["items"])  # each item stands alone
    assert data["last"] == first["id"]


def test_page_is_a_valid_annotation_page(client, fact_check, note, budget_article):
    response = client.get(collection_url(budget_article), {"page": 0})

    assert response.status_code == 200
    check_protocol_headers(response)
    assert response["Content-Location"] == response.json()["id"]
    data = response.json()
    check_page(data)
    assert data["@context"] == ANNO_CONTEXT
    assert data["type"] == "AnnotationPage"
    assert data["startIndex"] == 0
    assert data["partOf"]["id"] == f"{BASE}/articles/the-budget/annotations/"
    assert data["partOf"]["total"] == 2
    assert data["partOf"]["first"] == data["partOf"]["last"] == data["id"]
    assert len(data["items"]) == 2


def test_two_pages_with_a_small_page_size(client, settings, make_annotation, budget_article):
    settings.ANNOTATIONS_W3C_PAGE_SIZE = 2
    made = annotate_many(make_annotation, budget_article, 3)
    url = collection_url(budget_article)

    collection = client.get(url).json()
    check_collection(collection)
    assert collection["total"] == 3
    assert collection["last"] == f"{BASE}{url}?page=1"
    assert collection["first"]["next"] == f"{BASE}{url}?page=1"
    assert len(collection["first"]["items"]) == 2

    page0 = client.get(url, {"page": 0}).json()
    page1 = client.get(url, {"page": 1}).json()
    for page in (page0, page1):
        check_page(page)
        assert page["partOf"]["total"] == 3
    assert (page0["startIndex"], page1["startIndex"]) == (0, 2)
    assert page0["next"] == page1["id"] and "prev" not in page0
    assert page1["prev"] == page0["id"] and "next" not in page1
    assert [i["id"] for i in collection["first"]["items"]] == [i["id"] for i in page0["items"]]
    ids = [i["id"] for i in page0["items"] + page1["items"]]
    assert sorted(ids) == sorted(f"{BASE}/articles/the-budget/annotations/{a.pk}" for a in made)  # each exactly once


def test_nothing_unapproved_leaks_into_the_collection(
    client, settings, make_annotation, make_article, budget_article, author
):
    settings.ANNOTATIONS_W3C_PAGE_SIZE = 2
    shown = [make_annotation(article=budget_article, body=f"Shown {i}") for i in range(3)]
    unseen = [
        make_annotation(article=budget_article, status=Annotation.Status.PENDING),
        make_annotation(article=budget_article, status=Annotation.Status.REJECTED),
        make_annotation(article=budget_article, status=Annotation.Status.HIDDEN),
        make_annotation(article=budget_article, visibility=Annotation.Visibility.PRIVATE),
    ]
    other = make_article("Other", slug="other")
    make_annotation(article=other)  # another article's
    client.force_login(author)  # the author of the hidden ones sees nothing more here
    url = collection_url(budget_article)

    collection = client.get(url).json()
    iris = client.get(url, {"iris": 1}).json()
    pages = [client.get(url, {"page": n}).json() for n in (0, 1)]
    iri_pages = [client.get(url, {"page": n, "iris": 1}).json() for n in (0, 1)]

    expected = {f"{BASE}/articles/the-budget/annotations/{a.pk}" for a in shown}
    assert collection["total"] == iris["total"] == 3
    assert {i["id"] for p in pages for i in p["items"]} == expected
    assert {i for p in iri_pages for i in p["items"]} == expected
    assert all(p["partOf"]["total"] == 3 for p in pages + iri_pages)
    for annotation in unseen:
        check_problem(client.get(jsonld_url(annotation)), 404)
    check_problem(client.get(url, {"page": 2}), 404)


def test_prefer_minimal_container_embeds_no_page(client, fact_check, budget_article):
    response = client.get(
        collection_url(budget_article),
        HTTP_PREFER='return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"',
    )

    data = response.json()
    check_collection(data)
    assert data["total"] == 1
    assert data["first"] == f"{BASE}/articles/the-budget/annotations/?page=0"
    assert data["last"] == data["first"]
    assert "items" not in data and "ldp:contains" not in data
    assert response["Preference-Applied"] == "return=representation"
    assert "prefer" in response["Vary"].lower()


def test_prefer_contained_iris_embeds_iris_in_its_own_representation(client, fact_check, note, budget_article):
    default = client.get(collection_url(budget_article))
    response = client.get(
        collection_url(budget_article),
        HTTP_PREFER='return=representation; include="http://www.w3.org/ns/oa#PreferContainedIRIs"',
    )

    data = response.json()
    check_collection(data)
    assert data["id"] == f"{BASE}/articles/the-budget/annotations/?iris=1"
    assert response["Content-Location"] == data["id"]
    assert data["first"]["id"] == f"{BASE}/articles/the-budget/annotations/?iris=1&page=0"
    assert data["first"]["items"] == [
        f"{BASE}/articles/the-budget/annotations/{fact_check.pk}",
        f"{BASE}/articles/the-budget/annotations/{note.pk}",
    ]
    assert response["ETag"] != default["ETag"]
    # ?iris=1 names the same representation without the header
    assert client.get(collection_url(budget_article), {"iris": 1}).json() == data


def test_empty_collection_has_no_pages(client, budget_article):
    data = client.get(collection_url(budget_article)).json()

    check_collection(data)
    assert data["total"] == 0
    assert "first" not in data and "last" not in data
    check_problem(client.get(collection_url(budget_article), {"page": 0}), 404)


def test_collection_etag_304_head_and_options(client, note, budget_article, django_capture_on_commit_callbacks):
    url = collection_url(budget_article)
    etag = client.get(url)["ETag"]

    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.head(url).status_code == 200
    options = client.options(url)
    assert options.status_code == 200
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in options["Link"]
    check_problem(client.put(url), 405)
    check_problem(client.post(url), 401)  # a container takes POST, from an account (annotations.views.protocol)

    # hidden (the services bump the article's version with every change; the collection is cached under it)
    from annotations.caching import bump_article

    with django_capture_on_commit_callbacks(execute=True):
        Annotation.objects.filter(pk=note.pk).update(status=Annotation.Status.HIDDEN)
        bump_article(budget_article.pk)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_orphaned_annotations_come_last(client, make_annotation, budget_article):
    orphan = make_annotation(article=budget_article, block="k001", body="On text since removed.")
    kept = make_annotation(article=budget_article, block="k003", body="On current text.")
    block = Block.objects.get(pk=orphan.block_id)
    block.mark_removed()
    block.save()

    items = client.get(collection_url(budget_article)).json()["first"]["items"]

    assert [i["id"] for i in items] == [
        f"{BASE}/articles/the-budget/annotations/{kept.pk}",
        f"{BASE}/articles/the-budget/annotations/{orphan.pk}",
    ]


@pytest.mark.parametrize(
    "query, status",
    [
        ({"page": "abc"}, 400),
        ({"page": "-1"}, 400),
        ({"page": ""}, 400),
        ({"page": "1.5"}, 400),
        ({"page": ["0", "1"]}, 400),
        ({"iris": "2"}, 400),
        ({"page": "99999"}, 404),
        ({"page": "1" * 40}, 404),
    ],
)
def test_bad_paging_is_a_json_4xx(client, note, budget_article, query, status):
    check_problem(client.get(collection_url(budget_article), query), status)


def test_unknown_and_draft_articles_are_404(client, make_article):
    make_article("Draft", slug="draft", status=Article.Status.DRAFT)

    check_problem(client.get("/articles/no-such-article/annotations/"), 404)
    check_problem(client.get("/articles/draft/annotations/"), 404)
    check_problem(client.get("/articles/draft/annotations/", {"page": 0}), 404)


# --- a fixed number of queries -----------------------------------------------------------------------

# The collection, a page, with full descriptions:
#   1. the article (published, by slug)
#   2. the count and latest change of its public annotations (one aggregate)
#   3. one page of them, with author and paragraph (select_related)
#   4. their tags (prefetch, one join through TaggedAnnotation)
#   5. their evidence (prefetch)
PAGE_QUERIES = 5
IRIS_PAGE_QUERIES = 3  # 1, 2, and the page's primary keys
MINIMAL_CONTAINER_QUERIES = 2  # 1 and 2
# One annotation: itself with author, paragraph and article; its tags; its evidence.
ANNOTATION_QUERIES = 3


@pytest.mark.parametrize("n", [3, 60])
def test_query_counts_do_not_grow_with_annotations(
    client, settings, django_assert_num_queries, make_annotation, budget_article, n
):
    settings.ANNOTATIONS_W3C_PAGE_SIZE = 50
    made = annotate_many(make_annotation, budget_article, n)
    url = collection_url(budget_article)

    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url, {"page": 0}).status_code == 200
    with django_assert_num_queries(IRIS_PAGE_QUERIES):
        assert client.get(url, {"page": 0, "iris": 1}).status_code == 200
    with django_assert_num_queries(MINIMAL_CONTAINER_QUERIES):
        minimal = client.get(
            url, HTTP_PREFER='return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
        )
        assert minimal.status_code == 200
    with django_assert_num_queries(ANNOTATION_QUERIES):
        assert client.get(jsonld_url(made[1])).status_code == 200  # a fact-check with tags and evidence


def test_the_collection_is_cached_under_the_article_version(
    client,
    note,
    budget_article,
    make_annotation,
    moderator,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from annotations.services import moderation

    url = collection_url(budget_article)
    first = client.get(url).json()
    with django_assert_num_queries(0):  # warm, for a reader without a session (annotations.page_cache)
        assert client.get(url).json() == first
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    with django_assert_num_queries(1):  # warm through the view (a session cookie): the article only
        assert client.get(url).json() == first
    del client.cookies[settings.SESSION_COOKIE_NAME]
    prefer = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    minimal = client.get(url, HTTP_PREFER=prefer)
    assert isinstance(minimal.json()["first"], str) and minimal.json() != first  # its own entry
    with django_assert_num_queries(0):
        assert client.get(url, HTTP_PREFER=prefer).json() == minimal.json()
    waiting = make_annotation(article=budget_article, status="pending", body="Approved after caching.")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=waiting, actor=moderator)
    again = client.get(url).json()
    assert again["total"] == first["total"] + 1
