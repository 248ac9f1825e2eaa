"""Replies everywhere annotations are published (issue #15): W3C JSON-LD (motivation replying, target the parent's
IRI), the article's collection, the protocol's POST, the Atom feed, the Markdown export, the author, tag and
search pages; and the lists that are about annotations of the text leave replies out."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from accounts.tokens import create_token
from annotations.models import Annotation

pytestmark = pytest.mark.django_db

ANNO = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO}"'
BASE = "http://testserver"
# the Web Annotation model's motivations (3.3.5), RFC 3987 IRIs and xsd:dateTime with a zone, as tests/annotations/
# test_w3c.py restates them (test modules never import one another)
MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}  # fmt: skip
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check_reply_annotation(data: dict, *, parent_iri: str) -> None:
    """The model's MUSTs for what a reply is made of (sections 3.1-3.3), and the shape of a reply (3.3.5)."""
    assert ANNO in (data["@context"] if isinstance(data["@context"], list) else [data["@context"]])
    assert IRI.match(data["id"]) and data["type"] == "Annotation"
    assert data["motivation"] == "replying" and data["motivation"] in MOTIVATIONS
    # one target: the IRI of the annotation it answers (an External Web Resource given as its IRI)
    assert data["target"] == parent_iri and IRI.match(parent_iri)
    assert "bodyValue" not in data
    bodies = data["body"] if isinstance(data["body"], list) else [data["body"]]
    for body in bodies:
        assert body["type"] == "TextualBody" and isinstance(body["value"], str)
        assert "source" not in body and "items" not in body
        assert body.get("purpose", "replying") in MOTIVATIONS
    assert bodies[0]["purpose"] == "replying" and bodies[0]["format"] == "text/markdown"
    for key in ("created", "modified"):
        assert DATETIME.match(data[key])
    assert data["creator"]["type"] == "Person" and IRI.match(data["creator"]["id"])


@pytest.fixture
def check(make_article, make_annotation, make_user):
    article = make_article("The budget", slug="the-budget", language="en")
    return make_annotation(
        article=article, author=make_user("checker", groups=["annotators"]), kind="fact_check", body="The check."
    )


def iri(annotation) -> str:
    return f"{BASE}/articles/{annotation.article.slug}/annotations/{annotation.pk}"


# ---------------------------------------------------------------- W3C JSON-LD


def test_a_reply_is_a_web_annotation_replying_to_its_parent(client, check, make_reply):
    reply = make_reply(check, "I *agree*.", tags=["budget"])
    nested = make_reply(reply, "So do I.")
    data = client.get(f"/annotations/{reply.pk}.jsonld").json()
    check_reply_annotation(data, parent_iri=iri(check))
    assert data["id"] == iri(reply) and data["body"][0]["value"] == "I *agree*."
    assert {"type": "TextualBody", "purpose": "tagging", "value": "budget"} in data["body"]
    check_reply_annotation(client.get(f"/annotations/{nested.pk}.jsonld").json(), parent_iri=iri(reply))
    # the parent's IRI answers: the target resolves
    assert client.get(iri(check).removeprefix(BASE), headers={"Accept": "application/ld+json"}).status_code == 200


def test_the_collection_holds_replies_of_visible_threads_only(client, check, make_reply, make_annotation):
    reply = make_reply(check)
    hidden = make_annotation(article=check.article, status="hidden", body="Hidden.")
    under_hidden = make_reply(hidden, "Under a hidden annotation.")
    deleted = make_annotation(article=check.article, body="Gone.", deleted_at="2026-01-01T00:00:00Z")
    make_reply(deleted, "Under a placeholder.")
    data = client.get(f"/articles/{check.article.slug}/annotations/", headers={"Accept": MEDIA_TYPE}).json()
    items = {item["id"]: item for item in data["first"]["items"]}
    assert iri(reply) in items and iri(check) in items
    check_reply_annotation(items[iri(reply)], parent_iri=iri(check))
    assert iri(under_hidden) not in items and iri(hidden) not in items and iri(deleted) not in items
    assert data["total"] == len(items) == 3  # the check, its reply, the reply under the placeholder


# ---------------------------------------------------------------- the protocol's write API


@pytest.fixture
def api(other_user):
    token = create_token(user=other_user, name="tests")[1]
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token}"})


def post(api, article, data):
    return api.post(f"/articles/{article.slug}/annotations/", json.dumps(data), content_type=MEDIA_TYPE)


def reply_json(target, text="Posted through the protocol.", **extra) -> dict:
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "replying",
        "body": [{"type": "TextualBody", "value": text, "format": "text/markdown"}],
        "target": target,
        **extra,
    }


def test_post_a_reply_through_the_protocol(api, check, other_user):
    response = post(api, check.article, reply_json(iri(check)))
    assert response.status_code == 201, response.content
    reply = Annotation.objects.get(parent=check)
    assert (reply.author, reply.kind, reply.block_id, reply.status) == (other_user, "note", check.block_id, "pending")
    data = response.json()
    check_reply_annotation(data, parent_iri=iri(check))
    assert response["Location"] == iri(reply)
    # what the site emits is accepted back (round trip): a reply to the same annotation
    again = {k: v for k, v in data.items() if k not in ("id", "created", "modified", "moderation", "creator")}
    assert post(api, check.article, again).status_code == 201
    assert Annotation.objects.filter(parent=check).count() == 2


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("http://elsewhere.example/articles/the-budget/annotations/{pk}", id="another site"),
        pytest.param("{base}/articles/the-budget/", id="an article, not an annotation"),
        pytest.param("{base}/articles/the-budget/annotations/{pk}/extra", id="not an annotation IRI"),
        pytest.param(["{base}/articles/the-budget/annotations/{pk}"] * 2, id="two targets"),
    ],
)
def test_protocol_replies_with_bad_targets_are_refused(api, check, target):
    def fill(value):
        return value.format(base=BASE, pk=check.pk)

    target = [fill(t) for t in target] if isinstance(target, list) else fill(target)
    response = post(api, check.article, reply_json(target))
    assert response.status_code == 422, response.content
    assert not Annotation.objects.filter(parent__isnull=False).exists()


@pytest.mark.parametrize("change", [{"status": "pending"}, {"status": "hidden"}, {"visibility": "private"}])
def test_protocol_reply_to_an_unpublished_annotation_is_refused(api, check, change):
    Annotation.objects.filter(pk=check.pk).update(**change)
    response = post(api, check.article, reply_json(iri(check)))
    assert response.status_code in (400, 422) and b"only reply to a published annotation" in response.content
    assert not Annotation.objects.filter(parent__isnull=False).exists()


def test_protocol_reply_must_go_to_its_annotations_container(api, check, make_article):
    other = make_article("Other", slug="other")
    response = post(api, other, reply_json(iri(check)))
    assert response.status_code == 422
    assert not Annotation.objects.filter(parent__isnull=False).exists()


def test_protocol_reply_with_a_verdict_is_refused(api, check):
    data = reply_json(iri(check))
    data["body"].append({"type": "TextualBody", "purpose": "assessing", "value": "false"})
    assert post(api, check.article, data).status_code == 422


def test_a_reply_under_a_hidden_annotation_is_not_served_by_the_protocol(client, check, make_reply):
    reply = make_reply(check)
    assert client.get(iri(reply).removeprefix(BASE), headers={"Accept": MEDIA_TYPE}).status_code == 200
    Annotation.objects.filter(pk=check.pk).update(status="hidden")
    assert client.get(iri(reply).removeprefix(BASE), headers={"Accept": MEDIA_TYPE}).status_code == 404


# ---------------------------------------------------------------- Atom and Markdown


def test_the_article_feed_includes_replies(client, check, make_reply):
    reply = make_reply(check, "An answer in the feed.")
    feed = client.get(f"/articles/{check.article.slug}/feed/").content.decode()
    assert feed.count("<entry>") == 2
    assert f"Reply to annotation {check.pk} on" in feed and "An answer in the feed." in feed
    assert f'In reply to &lt;a href="{BASE}/annotations/{check.pk}/"&gt;annotation {check.pk}&lt;/a&gt;' in feed
    assert f"/annotations/{reply.pk}/" in feed
    # the site-wide fact-check feed stays about fact-checks
    assert "An answer in the feed." not in client.get("/fact-checks/feed/").content.decode()


def test_the_markdown_export_nests_replies_under_their_annotation(client, check, make_reply, make_annotation):
    first = make_reply(check, "First answer.")
    make_reply(first, "An answer to the answer.")
    Annotation.objects.filter(pk=make_reply(check, "Hidden answer.").pk).update(status="hidden")
    text = client.get(f"/articles/{check.article.slug}/export.md").content.decode()
    footnote = text[text.index("[^1]:") :]
    assert "**2 replies:**" in footnote
    first_at = footnote.index("    - **Reply** — other")
    assert footnote.index("      First answer.") > first_at
    assert "      **1 reply:**\n\n      - **Reply** — other" in footnote  # nested inside the first's list item
    assert "        An answer to the answer." in footnote and "Hidden answer." not in text
    # the summary counts annotations of the text, not replies
    assert "- **1 fact-check**" in text and "- **0 notes**" in text


# ---------------------------------------------------------------- pages that list annotations


def test_author_page_lists_replies_marked_as_replies(client, check, make_reply, other_user):
    reply = make_reply(check, "My answer.")
    page = client.get(f"/users/{other_user.username}/").content.decode()
    assert "My answer." in page and f'In reply to <a href="/annotations/{check.pk}/">annotation {check.pk}</a>' in page
    assert f'class="annotation annotation-reply status-approved" id="a-{reply.pk}"' in page


def test_search_finds_replies_and_shows_them_as_replies(client, check, make_reply):
    make_reply(check, "Zanzibar figures differ.")
    page = client.get("/search/", {"q": "zanzibar"}).content.decode()
    assert "Zanzibar figures differ." in page and "In reply to" in page
    Annotation.objects.filter(pk=check.pk).update(status="hidden")
    assert (
        "Zanzibar"
        not in client.get("/search/", {"q": "zanzibar"}).content.decode().split("</h1>", 1)[1].split("</form>", 1)[1]
    )


def test_tag_pages_and_counts_follow_the_readers_rule(client, check, make_reply):
    make_reply(check, "Tagged answer.", tags=["thread-only"])
    assert "Tagged answer." in client.get("/tags/thread-only/").content.decode()
    Annotation.objects.filter(pk=check.pk).update(status="rejected")
    assert client.get("/tags/thread-only/").status_code == 404
    assert "thread-only" not in client.get("/tags/").content.decode()


def test_put_replaces_a_replys_text_through_the_protocol(api, check):
    created = post(api, check.article, reply_json(iri(check), "First words."))
    assert created.status_code == 201
    data = created.json()
    data.pop("moderation")
    data["body"][0]["value"] = "Second words."
    response = api.put(
        created["Location"].removeprefix(BASE),
        json.dumps(data),
        content_type=MEDIA_TYPE,
        headers={"If-Match": created["ETag"]},
    )
    assert response.status_code == 200, response.content
    reply = Annotation.objects.get(parent=check)
    assert reply.body == "Second words." and reply.edited_at is not None
    check_reply_annotation(response.json(), parent_iri=iri(check))
