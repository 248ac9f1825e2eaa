"""Bad input to the protocol's writes: a 4xx problem+json with a detail for people, nothing written, never a 500.

The table walks the issue's list (malformed JSON, wrong @context, unknown motivation, foreign target,
oversized body, too many tags, NUL bytes, a 10 MB body, and more); a hypothesis test then POSTs bodies
built from the vocabulary of Web Annotations, well-formed and not.
"""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tokens import create_token
from annotations.models import Annotation
from annotations.verdicts import SCALE

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
ANNO = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO}"'
TEXT = "The minister said the budget grew by ten percent, and the deficit shrank."
URL = "/articles/the-budget/annotations/"

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "80")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def budget(make_article, set_text):
    article = make_article("The budget", slug="the-budget")
    set_text(article, "k001", TEXT)
    return article


@pytest.fixture
def headers(author):
    return {"Authorization": f"Bearer {create_token(user=author, name='t')[1]}"}


def valid() -> dict:
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": "A note."},
        "target": {
            "source": f"{BASE}/articles/the-budget/",
            "selector": {"type": "FragmentSelector", "value": "p-k001"},
        },
    }


def changed(**fields) -> str:
    data = valid()
    for name, value in fields.items():
        if value is None:
            del data[name]
        else:
            data[name] = value
    return json.dumps(data)


def bodies(*items) -> list:
    return [{"type": "TextualBody", "value": "A note."}, *items]


BAD = [
    # (what, body, content type, status, words of the detail)
    ("malformed JSON", '{"@context": ', MEDIA_TYPE, 400, "not valid JSON"),
    ("a JSON array", "[]", MEDIA_TYPE, 400, "must be a JSON object"),
    ("not UTF-8", b'{"a": "\xff"}', MEDIA_TYPE, 400, "not UTF-8"),
    ("raw NUL byte in the JSON", '{"@context": "\x00"}', MEDIA_TYPE, 400, "not valid JSON"),
    ("nested beyond reason", "[" * 100_000, MEDIA_TYPE, 400, "not valid JSON"),
    ("a 5,000-digit number", '{"start": ' + "9" * 5000 + "}", MEDIA_TYPE, 400, "not valid JSON"),
    ("wrong @context", changed(**{"@context": "http://schema.org/"}), MEDIA_TYPE, 400, "@context"),
    ("no @context", changed(**{"@context": None}), MEDIA_TYPE, 400, "@context"),
    ("not an Annotation", changed(type="Note"), MEDIA_TYPE, 400, '"type" must be "Annotation"'),
    ("unknown motivation", changed(motivation="frobbing"), MEDIA_TYPE, 400, "Unknown motivation 'frobbing'"),
    ("unsupported motivation", changed(motivation="highlighting"), MEDIA_TYPE, 422, "'highlighting' is not supported"),
    ("a canonical that is not an IRI", changed(canonical="not an IRI"), MEDIA_TYPE, 400, "absolute IRI"),
    ("a canonical that is a number", changed(canonical=7), MEDIA_TYPE, 400, "'canonical' must be a string"),
    ("a canonical of 1,001 characters", changed(canonical="urn:" + "x" * 997), MEDIA_TYPE, 422, "longer than 1000"),
    ("an id with a space", changed(id="urn:a b"), MEDIA_TYPE, 400, "'id' must be an absolute IRI"),
    (
        "an unknown verdict IRI",
        changed(
            motivation="assessing",
            body=bodies({"type": "SpecificResource", "purpose": "assessing", "source": f"{BASE}/verdicts/#pants"}),
        ),
        MEDIA_TYPE,
        422,
        "Unknown verdict IRI",
    ),
    ("no body", changed(body=None), MEDIA_TYPE, 422, "needs a body"),
    ("an external body", changed(body="https://example.org/"), MEDIA_TYPE, 422, "embedded objects"),
    ("two comments", changed(body=bodies({"value": "Two."})), MEDIA_TYPE, 422, "one commenting body"),
    ("HTML body", changed(body={"value": "<b>x</b>", "format": "text/html"}), MEDIA_TYPE, 422, "text/markdown"),
    (
        "unknown verdict",
        changed(motivation="assessing", body=bodies({"purpose": "assessing", "value": "pants on fire"})),
        MEDIA_TYPE,
        422,
        "Unknown verdict 'pants on fire'",
    ),
    (
        "a fact-check without evidence",
        changed(motivation="assessing", body=bodies({"purpose": "assessing", "value": "false"})),
        MEDIA_TYPE,
        422,
        "A fact-check needs at least one evidence source",
    ),
    (
        "evidence without a title",
        changed(
            motivation="assessing",
            body=bodies(
                {"purpose": "assessing", "value": "false"},
                {"type": "SpecificResource", "purpose": "linking", "source": "https://example.org/r"},
            ),
        ),
        MEDIA_TYPE,
        422,
        "needs a title",
    ),
    (
        "evidence that is not http",
        changed(
            motivation="assessing",
            body=bodies(
                {"purpose": "assessing", "value": "false"},
                {"purpose": "linking", "source": {"id": "ftp://example.org/r", "label": "R"}},
            ),
        ),
        MEDIA_TYPE,
        422,
        "Enter an http:// or https:// address.",
    ),
    (
        "too many tags",
        changed(body=bodies(*({"purpose": "tagging", "value": f"tag{i}"} for i in range(11)))),
        MEDIA_TYPE,
        422,
        "Use at most 10 tags (you gave 11).",
    ),
    ("NUL in the body", changed(body={"value": "a\x00b"}), MEDIA_TYPE, 422, "U+0000"),
    ("NUL in a tag", changed(body=bodies({"purpose": "tagging", "value": "a\x00"})), MEDIA_TYPE, 422, "U+0000"),
    (
        "NUL in a paragraph key",
        changed(
            target={
                "source": f"{BASE}/articles/the-budget/",
                "selector": {"type": "FragmentSelector", "value": "p-\x00"},
            }
        ),
        MEDIA_TYPE,
        422,
        "not a paragraph address",
    ),
    (
        "NUL in a quote",
        changed(
            target={
                "source": f"{BASE}/articles/the-budget/",
                "selector": {"type": "TextQuoteSelector", "exact": "\x00"},
            }
        ),
        MEDIA_TYPE,
        422,
        "not in this article",
    ),
    ("a body over 5,000 characters", changed(body={"value": "x" * 5001}), MEDIA_TYPE, 422, "at most 5000 characters"),
    (
        "foreign target",
        changed(target="https://example.org/articles/the-budget/#p-k001"),
        MEDIA_TYPE,
        422,
        "not an article of this site",
    ),
    ("two targets", changed(target=[valid()["target"]] * 2), MEDIA_TYPE, 422, "exactly one target"),
    (
        "offsets as text",
        changed(
            target={
                "source": f"{BASE}/articles/the-budget/",
                "selector": {"type": "TextPositionSelector", "start": "1", "end": 2},
            }
        ),
        MEDIA_TYPE,
        400,
        "whole number",
    ),
    ("text/plain", changed(), "text/plain", 415, "not text/plain"),
    ("a form", "body=x", "application/x-www-form-urlencoded", 415, "Send the annotation as"),
    ("over the size limit", changed(body={"value": "x" * 300_000}), MEDIA_TYPE, 413, "at most 262144"),
    ("10 MB", "x" * 10 * 1024 * 1024, MEDIA_TYPE, 413, "at most 262144"),
]


@pytest.mark.parametrize(("what", "body", "content_type", "status", "says"), BAD, ids=[row[0] for row in BAD])
def test_bad_input_is_a_4xx_problem_and_writes_nothing(budget, headers, counts, what, body, content_type, status, says):
    before = counts()
    response = Client().post(URL, body, content_type=content_type, headers=headers)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and says in problem["detail"], problem
    assert counts() == before


def test_the_valid_body_of_the_table_is_accepted(budget, headers):
    """Control: the rows above differ from an accepted annotation only by what they name."""
    assert Client().post(URL, changed(), content_type=MEDIA_TYPE, headers=headers).status_code == 201


def test_a_large_body_is_refused_before_it_is_read(budget, headers, settings):
    settings.ANNOTATIONS_PROTOCOL_MAX_BODY = 100
    response = Client().post(URL, changed(), content_type=MEDIA_TYPE, headers=headers)
    assert response.status_code == 413 and "at most 100 are accepted" in response.json()["detail"]


# --- fuzz -------------------------------------------------------------------------------------------------------

KEYS = [
    "@context", "type", "motivation", "body", "target", "source", "selector", "refinedBy", "value", "exact",
    "prefix", "suffix", "start", "end", "purpose", "id", "label", "state", "cached", "format", "canonical",
]  # fmt: skip
WORDS = [
    ANNO, "Annotation", "TextualBody", "SpecificResource", "FragmentSelector", "TextQuoteSelector",
    "TextPositionSelector", "commenting", "assessing", "tagging", "describing", "linking", "highlighting",
    "p-k001", "p-k999", "p-\x00", "the budget", "misleading", "Misleading", "text/markdown", "text/html",
    f"{BASE}/articles/the-budget/", f"{BASE}/articles/the-budget/#p-k001", "https://example.org/r", "",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=30,
)


@st.composite
def annotation_bodies(draw):
    """A valid note with parts replaced by anything, or a value of any shape."""
    if draw(st.booleans()):
        return draw(json_values)
    data = valid()
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=4)):
        data[key] = draw(json_values)
    if draw(st.booleans()):
        data["target"] = {"source": draw(st.sampled_from(WORDS)), "selector": draw(json_values)}
    return data


@FUZZ
@given(body=annotation_bodies())
def test_fuzzed_posts_never_fail(budget, headers, counts, no_rate_limits, body):
    before = counts()
    response = Client().post(URL, json.dumps(body), content_type=MEDIA_TYPE, headers=headers)
    assert response.status_code in (201, 400, 409, 413, 422), response.content[:300]
    if response.status_code != 201:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"].strip()
        assert counts() == before


@pytest.fixture
def no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False


# --- canonical, via and verdict IRIs ----------------------------------------------------------------------------


def test_canonical_is_kept_and_the_clients_id_becomes_via(budget, headers):
    """5.1: "If the Annotation contains a canonical property, then that reference MUST be maintained without
    change"; the id the client sent SHOULD be copied to via, and the server assigns its own."""
    sent = changed(canonical="urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df", id="https://elsewhere.example/a/1")
    response = Client().post(URL, sent, content_type=MEDIA_TYPE, headers=headers)
    assert response.status_code == 201
    data = response.json()
    assert data["canonical"] == "urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df"
    assert data["via"] == "https://elsewhere.example/a/1"
    assert data["id"] == response["Location"] != data["via"]
    stored = Annotation.objects.get()
    assert (stored.canonical, stored.via) == (data["canonical"], data["via"])
    # as stored: a GET says the same
    again = Client().get(response["Location"].removeprefix(BASE), headers=headers).json()
    assert (again["canonical"], again["via"]) == (data["canonical"], data["via"])


def test_a_put_may_not_change_the_canonical_iri(budget, headers):
    created = Client().post(URL, changed(canonical="urn:uuid:1"), content_type=MEDIA_TYPE, headers=headers)
    url, etag = created["Location"].removeprefix(BASE), created["ETag"]
    data = created.json()
    data.pop("moderation")
    data["canonical"] = "urn:uuid:2"
    refused = Client().put(url, json.dumps(data), content_type=MEDIA_TYPE, headers={**headers, "If-Match": etag})
    assert refused.status_code == 409 and "canonical IRI cannot change (it is urn:uuid:1)" in refused.json()["detail"]
    del data["canonical"]  # left out: it stays
    data["body"][0]["value"] = "Changed."
    kept = Client().put(url, json.dumps(data), content_type=MEDIA_TYPE, headers={**headers, "If-Match": etag})
    assert kept.status_code == 200 and kept.json()["canonical"] == "urn:uuid:1"
    assert Annotation.objects.get().body == "Changed."


@pytest.mark.parametrize(
    "verdict_body",
    [
        {"type": "SpecificResource", "purpose": "assessing", "source": f"{BASE}/verdicts/#misleading"},
        {
            "type": "SpecificResource",
            "purpose": "assessing",
            "source": {"id": "https://proxy.example/verdicts/#misleading"},
        },
        {"type": "TextualBody", "purpose": "assessing", "value": f"{BASE}/verdicts/#misleading"},
        {"type": "TextualBody", "purpose": "assessing", "value": "Misleading"},
    ],
    ids=["SpecificResource", "source object, another host", "TextualBody IRI", "label"],
)
def test_a_verdict_may_be_named_by_its_iri_on_the_published_scale(budget, headers, verdict_body):
    evidence = {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": {"id": "https://example.org/report", "label": "The report"},
    }
    sent = changed(motivation="assessing", body=bodies(verdict_body, evidence))
    response = Client().post(URL, sent, content_type=MEDIA_TYPE, headers=headers)
    assert response.status_code == 201, response.content
    assert Annotation.objects.get().verdict == "misleading"


def test_the_verdict_scale_page_publishes_each_verdicts_iri(client):
    response = client.get("/verdicts/")
    assert response.status_code == 200
    page = response.content.decode()
    for value, info in SCALE.items():
        assert f'id="{value}"' in page and info.label in page and info.meaning in page
    assert 'href="/verdicts/"' in client.get("/").content.decode()  # reached from the footer
