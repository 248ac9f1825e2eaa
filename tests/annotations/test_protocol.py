"""The W3C Web Annotation Protocol's writes (annotations.views.protocol), with the test client.

Creating, reading, replacing and deleting through a container with a personal API token (or the session,
with CSRF); the same services, moderation and limits as the forms; the mapping of W3C targets and bodies.
The walk of every MUST against a live server is tests/annotations/test_protocol_conformance.py; bad input
and the fuzz test are tests/annotations/test_protocol_input.py.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.tokens import create_token
from annotations.models import Annotation, Evidence, ModerationLog

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
ANNO = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO}"'
K1 = "The minister said the budget grew by ten percent, and the deficit shrank."
K2 = "Critics said the budget grew less than claimed."
K3 = "Nobody said anything about the deficit."


@pytest.fixture
def budget(make_article, set_text):
    article = make_article("The budget", slug="the-budget", language="en")
    for key, text in (("k001", K1), ("k002", K2), ("k003", K3)):
        set_text(article, key, text)
    return article


@pytest.fixture
def token(author):
    return create_token(user=author, name="tests")[1]


@pytest.fixture
def api(token):
    return TokenClient(token)


class TokenClient:
    """The test client with ``Authorization: Bearer`` and JSON-LD bodies."""

    def __init__(self, token: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method, url, data=None, *, content_type=MEDIA_TYPE, headers=None):
        body = data if isinstance(data, (str, bytes)) or data is None else json.dumps(data)
        return getattr(self.client, method)(
            url, body or "", content_type=content_type, headers={**self.headers, **(headers or {})}
        )

    def get(self, url, **headers):
        return self.client.get(url, headers={**self.headers, **headers})

    def post(self, url, data, **kwargs):
        return self._send("post", url, data, **kwargs)

    def put(self, url, data, **kwargs):
        return self._send("put", url, data, **kwargs)

    def delete(self, url, **kwargs):
        return self._send("delete", url, None, **kwargs)


def container(article) -> str:
    return f"/articles/{article.slug}/annotations/"


def note(source=f"{BASE}/articles/the-budget/", selector=None, **extra) -> dict:
    target = {"type": "SpecificResource", "source": source}
    if selector is not None:
        target["selector"] = selector
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": "A *note*.", "format": "text/markdown"}],
        "target": target,
        **extra,
    }


def fragment(key="k001", *refinements) -> dict:
    selector = {"type": "FragmentSelector", "value": f"p-{key}"}
    if refinements:
        selector["refinedBy"] = list(refinements)
    return selector


def quote(exact, **context) -> dict:
    return {"type": "TextQuoteSelector", "exact": exact, **context}


def fact_check(**extra) -> dict:
    data = note(selector=fragment("k001", quote("the budget grew by ten percent")), motivation="assessing")
    data["body"] = [
        {"type": "TextualBody", "purpose": "commenting", "value": "It grew by four."},
        {"type": "TextualBody", "purpose": "assessing", "value": "misleading"},
        {"type": "TextualBody", "purpose": "describing", "value": "The budget grew by ten percent."},
        {"type": "TextualBody", "purpose": "tagging", "value": "economy"},
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {"id": "https://example.org/report", "label": "Budget report"},
            "selector": {"type": "TextQuoteSelector", "exact": "grew by 4%"},
            "state": {"type": "TimeState", "sourceDate": "2025-01-06T00:00:00Z", "cached": "https://archive.org/r"},
        },
    ]
    data.update(extra)
    return data


def path_of(iri: str) -> str:
    return iri.removeprefix(BASE)


# --- creating -------------------------------------------------------------------------------------------


def test_post_a_note_creates_it_through_the_services(api, budget, author):
    response = api.post(container(budget), note(selector=fragment("k002")))

    assert response.status_code == 201
    annotation = Annotation.objects.get()
    iri = f"{BASE}/articles/the-budget/annotations/{annotation.pk}"
    assert response["Location"] == iri
    assert response["Content-Type"] == MEDIA_TYPE
    assert response["ETag"] and response["Allow"] == "GET, HEAD, OPTIONS, POST"  # the target's: the container
    assert '<http://www.w3.org/ns/ldp#Resource>; rel="type"' in response["Link"]
    assert "Accept" in response["Vary"]
    data = response.json()
    assert data["id"] == iri and data["motivation"] == "commenting"
    # an annotator's note waits for a moderator, as from the form; the body says so
    assert data["moderation"] == {"status": "pending", "visibility": "public"}
    assert (annotation.author, annotation.kind, annotation.block.key, annotation.body) == (
        author,
        "note",
        "k002",
        "A *note*.",
    )
    assert annotation.status == "pending" and annotation.quote == ""
    assert ModerationLog.objects.filter(annotation=annotation).exists()  # the service's audit row
    # the GET of its IRI by its author gives the same representation and ETag
    again = api.get(path_of(iri))
    assert again.status_code == 200 and again["ETag"] == response["ETag"] and again.json() == data
    # anyone else: 404 until a moderator approves it
    assert Client().get(path_of(iri)).status_code == 404


def test_a_trusted_annotators_note_is_published_at_once(make_user, budget):
    trusted = make_user("trusted", groups=["annotators", "trusted annotators"])
    api = TokenClient(create_token(user=trusted, name="t")[1])
    response = api.post(container(budget), note(selector=fragment("k001")))
    assert response.json()["moderation"]["status"] == "approved"
    public = Client().get(path_of(response["Location"]))
    assert public.status_code == 200 and "moderation" not in public.json()


def test_post_a_fact_check_with_all_its_parts(api, budget):
    response = api.post(container(budget), fact_check())

    assert response.status_code == 201, response.content
    annotation = Annotation.objects.get()
    assert (annotation.kind, annotation.verdict, annotation.status) == ("fact_check", "misleading", "pending")
    assert annotation.claim == "The budget grew by ten percent."
    assert annotation.quote == "the budget grew by ten percent" and annotation.quote_start == 18
    assert [t.name for t in annotation.tags.all()] == ["economy"]
    evidence = Evidence.objects.get()
    assert (evidence.url, evidence.title, evidence.excerpt, evidence.archived_url) == (
        "https://example.org/report",
        "Budget report",
        "grew by 4%",
        "https://archive.org/r",
    )
    data = response.json()
    assert data["motivation"] == "assessing" and data["moderation"]["status"] == "pending"
    fragment_selector, alternative = data["target"]["selector"]
    assert alternative == {"type": "TextQuoteSelector", **fragment_selector["refinedBy"][0]} | {
        "type": "TextQuoteSelector"
    }
    assert alternative["exact"] == "the budget grew by ten percent"


def test_server_assigns_the_id_and_ignores_the_clients(api, budget):
    response = api.post(container(budget), note(selector=fragment("k001"), id="http://example.org/mine/1"))
    assert response.status_code == 201
    assert response.json()["id"] == response["Location"] != "http://example.org/mine/1"


def test_the_verdict_may_be_its_label_and_the_motivation_may_be_left_out(api, budget):
    data = fact_check()
    del data["motivation"]
    data["body"][1]["value"] = "Mostly accurate"
    assert api.post(container(budget), data).status_code == 201
    assert Annotation.objects.get().verdict == "mostly_accurate"


# --- targets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "key", "words"),
    [
        # the paragraph alone, with a quote, with offsets only, with both
        ({"selector": fragment("k003")}, "k003", ""),
        ({"selector": fragment("k001", quote("the deficit"))}, "k001", "the deficit"),
        ({"selector": fragment("k001", {"type": "TextPositionSelector", "start": 4, "end": 12})}, "k001", "minister"),
        (
            {
                "selector": fragment(
                    "k002", quote("Critics", suffix=" said"), {"type": "TextPositionSelector", "start": 0, "end": 7}
                )
            },
            "k002",
            "Critics",
        ),
        # a quote found in the article: the server finds the paragraph
        ({"selector": quote("less than claimed")}, "k002", "less than claimed"),
        ({"selector": quote("the deficit", prefix="about ")}, "k003", "the deficit"),
        # offsets over the article's text (paragraphs joined by a blank line)
        (
            {"selector": {"type": "TextPositionSelector", "start": len(K1) + 2, "end": len(K1) + 9}},
            "k002",
            "Critics",
        ),
        # alternatives: the FragmentSelector wins, unknown selector types beside it are ignored
        ({"selector": [{"type": "CssSelector", "value": "p"}, fragment("k003")]}, "k003", ""),
        # the source's fragment names the paragraph; any form of the article's URL
        ({"source": f"{BASE}/articles/the-budget/#p-k002"}, "k002", ""),
        (
            {"source": "https://testserver/articles/the-budget/?view=fact-checks", "selector": fragment("k001")},
            "k001",
            "",
        ),
        ({"source": f"{BASE}/articles/the-budget", "selector": fragment("k001")}, "k001", ""),
    ],
)
def test_targets(api, budget, target, key, words):
    data = note()
    data["target"] = {"type": "SpecificResource", "source": f"{BASE}/articles/the-budget/", **target}
    response = api.post(container(budget), data)
    assert response.status_code == 201, response.content
    annotation = Annotation.objects.get()
    assert (annotation.block.key, annotation.quote) == (key, words)


def test_a_target_given_as_an_iri(api, budget):
    data = note()
    data["target"] = f"{BASE}/articles/the-budget/#p-k003"
    assert api.post(container(budget), data).status_code == 201


@pytest.mark.parametrize(
    ("selector", "status", "says"),
    [
        (quote("the budget grew"), 409, "occur 2 times in this article (p-k001, p-k002)"),
        (quote("the deficit"), 409, "(p-k001, p-k003)"),
        (quote("not in the text"), 422, "not in this article's current text"),
        (fragment("k999"), 422, "That paragraph is not part of this article."),
        (fragment("k001", quote("not in the paragraph")), 422, "The quote does not occur in this paragraph."),
        (fragment("k001", {"type": "TextPositionSelector", "start": 5, "end": 500}), 422, "outside p-k001"),
        ({"type": "TextPositionSelector", "start": len(K1) - 2, "end": len(K1) + 5}, 422, "within one paragraph"),
        ({"type": "XPathSelector", "value": "/p[1]"}, 422, "Unsupported selector (XPathSelector)"),
        ({"type": "FragmentSelector", "value": "section-2"}, 422, "'p-<key>'"),
    ],
)
def test_targets_that_cannot_be_placed(api, budget, counts, selector, status, says):
    before = counts()
    response = api.post(container(budget), note(selector=selector))
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert counts() == before
    if status == 409:
        assert response.json()["paragraphs"][0] == "p-k001"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("https://example.org/articles/the-budget/", "is not an article of this site"),
        (f"{BASE}/tags/", "is not an article of this site"),
        ("javascript:alert(1)", "is not an article of this site"),
        (f"{BASE}/articles/other/", "send it to that article's container"),
    ],
)
def test_foreign_targets_are_refused(api, budget, make_article, counts, source, says):
    make_article("Other", slug="other")
    before = counts()
    response = api.post(container(budget), note(source=source, selector=fragment("k001")))
    assert response.status_code == 422 and says in response.json()["detail"]
    assert counts() == before


# --- authentication -------------------------------------------------------------------------------------------


def test_anonymous_and_bad_tokens_get_401_with_a_challenge(budget, counts):
    before = counts()
    for header, error in [
        (None, None),
        ("Bearer anno_unknown", "invalid_token"),
    ]:
        client = Client()
        headers = {"Authorization": header} if header else {}
        response = client.post(
            container(budget), json.dumps(note(selector=fragment())), content_type=MEDIA_TYPE, headers=headers
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Bearer realm="annotations"')
        if error:
            assert f'error="{error}"' in response["WWW-Authenticate"]
    assert counts() == before


def test_a_read_only_token_cannot_write_but_reads_its_own(author, budget, counts):
    api = TokenClient(create_token(user=author, name="r", scope="read")[1])
    before = counts()
    response = api.post(container(budget), note(selector=fragment()))
    assert response.status_code == 403 and 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert counts() == before
    mine = Annotation.objects.create(
        article=budget, block=budget.blocks.get(key="k001"), author=author, body="Mine.", status="pending"
    )
    assert api.get(f"{container(budget)}{mine.pk}").json()["moderation"]["status"] == "pending"


def test_a_revoked_token_is_refused(author, budget):
    from accounts.models import ApiToken
    from accounts.tokens import revoke_token

    token = create_token(user=author, name="x")[1]
    revoke_token(actor=author, token=ApiToken.objects.get())
    response = TokenClient(token).post(container(budget), note(selector=fragment()))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_session_writes_keep_csrf_token_writes_are_exempt(author, budget, token):
    session = Client(enforce_csrf_checks=True)
    session.force_login(author)
    body = json.dumps(note(selector=fragment()))
    refused = session.post(container(budget), body, content_type=MEDIA_TYPE)
    assert refused.status_code == 403 and "CSRF" in refused.content.decode()
    assert not Annotation.objects.exists()
    session.get("/accounts/tokens/")  # a page with a form sets the CSRF cookie
    csrf = session.cookies["csrftoken"].value
    assert (
        session.post(container(budget), body, content_type=MEDIA_TYPE, headers={"X-CSRFToken": csrf}).status_code == 201
    )
    # a token request carries no CSRF token and needs none
    assert TokenClient(token).post(container(budget), note(selector=fragment())).status_code == 201


def test_writes_count_against_the_rate_limits(api, budget, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": {"new": "2/h"}, "edit": {"new": "1/h"}}
    for _ in range(2):
        assert api.post(container(budget), note(selector=fragment())).status_code == 201
    response = api.post(container(budget), note(selector=fragment()))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"
    assert Annotation.objects.count() == 2
    url = f"{container(budget)}{Annotation.objects.first().pk}"
    etag = api.get(url)["ETag"]
    assert api.delete(url, headers={"If-Match": etag}).status_code == 204
    other = f"{container(budget)}{Annotation.objects.get().pk}"
    assert api.delete(other, headers={"If-Match": api.get(other)["ETag"]}).status_code == 429


# --- replacing and deleting -----------------------------------------------------------------------------------


@pytest.fixture
def created(api, budget):
    response = api.post(container(budget), note(selector=fragment("k001", quote("the deficit"))))
    return path_of(response["Location"]), response["ETag"], response.json()


def test_put_replaces_with_if_match(api, created):
    url, etag, data = created
    data["body"][0]["value"] = "A corrected note."
    data["body"].append({"type": "TextualBody", "purpose": "tagging", "value": "budget"})
    data["target"]["selector"] = fragment("k001", quote("ten percent"))

    assert api.put(url, data).status_code == 428
    assert api.put(url, data, headers={"If-Match": '"stale"'}).status_code == 412
    response = api.put(url, data, headers={"If-Match": etag})

    assert response.status_code == 200, response.content
    annotation = Annotation.objects.get()
    assert (annotation.body, annotation.quote) == ("A corrected note.", "ten percent")
    assert [t.name for t in annotation.tags.all()] == ["budget"]
    assert annotation.edited_at is not None
    assert response["ETag"] != etag and api.get(url)["ETag"] == response["ETag"]
    # the old ETag is stale now
    assert api.put(url, data, headers={"If-Match": etag}).status_code == 412


def test_put_keeps_kind_and_paragraph_and_id(api, created):
    url, etag, data = created
    moved = json.loads(json.dumps(data))
    moved["target"]["selector"] = fragment("k002")
    response = api.put(url, moved, headers={"If-Match": etag})
    assert response.status_code == 409 and "stays on its paragraph" in response.json()["detail"]
    other_id = {**data, "id": f"{BASE}/articles/the-budget/annotations/999"}
    assert api.put(url, other_id, headers={"If-Match": etag}).status_code == 409
    as_check = fact_check()
    assert api.put(url, as_check, headers={"If-Match": etag}).status_code == 409
    assert Annotation.objects.get().quote == "the deficit"


def test_put_refuses_what_the_form_refuses_and_changes_nothing(api, created):
    url, etag, data = created
    data["body"][0]["value"] = "x" * 5001
    response = api.put(url, data, headers={"If-Match": etag})
    assert response.status_code == 422
    assert "Ensure this value has at most 5000 characters (it has 5001)." in response.json()["detail"]
    assert response.json()["errors"]["body"]
    assert Annotation.objects.get().body == "A *note*."


def test_delete_with_if_match(api, created, counts):
    url, etag, _ = created
    assert api.delete(url, headers={"If-Match": '"stale"'}).status_code == 412
    assert Annotation.objects.exists()
    response = api.delete(url, headers={"If-Match": etag})
    assert response.status_code == 204 and response.content == b""
    assert not Annotation.objects.exists()
    assert api.get(url).status_code == 404


def test_delete_without_if_match_deletes(api, created):
    """The protocol's DELETE (and its test suites') sends no If-Match: a delete has no edit to lose."""
    url, _, _ = created
    response = api.delete(url)
    assert response.status_code == 204 and not Annotation.objects.exists()


def test_only_the_author_may_put_or_delete_others_get_404(created, other_user, moderator):
    url, etag, data = created
    Annotation.objects.update(status="approved")
    for user in (other_user, moderator):
        api = TokenClient(create_token(user=user, name="x")[1])
        assert api.get(url).status_code == 200  # published: anyone reads it
        assert api.put(url, data, headers={"If-Match": "*"}).status_code == 404
        assert api.delete(url, headers={"If-Match": "*"}).status_code == 404
    assert Annotation.objects.count() == 1


def test_methods_not_allowed_list_what_is(api, created, budget):
    url, _, _ = created
    response = api._send("patch", url, {})
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    response = api._send("put", container(budget), {})
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, OPTIONS, POST"
    page = api.post(f"{container(budget)}?page=0", note(selector=fragment()))
    assert page.status_code == 405 and page["Allow"] == "GET, HEAD, OPTIONS"


# --- reading ------------------------------------------------------------------------------------------------


def test_the_jsonld_document_points_to_the_canonical_iri(client, make_annotation, budget):
    annotation = make_annotation(article=budget, block="k001")
    response = client.get(f"/annotations/{annotation.pk}.jsonld")
    canonical = f"{BASE}/articles/the-budget/annotations/{annotation.pk}"
    assert f'<{canonical}>; rel="canonical"' in response["Link"]
    assert response.json()["id"] == canonical
    assert client.get(path_of(canonical)).json() == response.json()


def test_reading_an_annotation_anywhere_else_is_404(client, make_annotation, budget, make_article):
    annotation = make_annotation(article=budget, block="k001")
    other = make_article("Other", slug="other")
    assert client.get(f"/articles/{other.slug}/annotations/{annotation.pk}").status_code == 404
    assert client.get(f"/articles/the-budget/annotations/{annotation.pk + 1000}").status_code == 404


def test_content_negotiation(client, make_annotation, budget):
    annotation = make_annotation(article=budget, block="k001")
    url = f"{container(budget)}{annotation.pk}"
    for accept in (MEDIA_TYPE, "application/ld+json", "application/json", "*/*", "text/html, */*;q=0.1"):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == 200 and response["Content-Type"] == MEDIA_TYPE, accept
    assert client.get(url, headers={"Accept": "text/turtle"}).status_code == 406
    assert client.get(container(budget), headers={"Accept": "text/turtle"}).status_code == 406


def test_query_counts(client, make_annotation, budget, author, token, django_assert_num_queries):
    annotations = [make_annotation(article=budget, block="k001", tags=["a", "b"]) for _ in range(3)]
    url = f"{container(budget)}{annotations[0].pk}"
    # the annotation with author, paragraph, article and revisions; its tags; its evidence
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200
    api = TokenClient(token)
    api.get(url)  # the token's first use writes last_used_at
    # the token with its user, then the same three
    with django_assert_num_queries(4):
        assert api.get(url).status_code == 200
    # the container's collection, as before (tests/annotations/test_w3c.py): article; count; page; tags; evidence
    with django_assert_num_queries(5):
        assert client.get(container(budget)).status_code == 200


def test_write_query_counts(api, budget, token, django_assert_max_num_queries):
    """Writes cost what the form's services cost plus a fixed few (the token, the article, the response): the
    numbers include SQLite's and PostgreSQL's savepoints and the constraint checks of full_clean."""
    api.get(f"{container(budget)}0")  # the token's first use writes last_used_at
    # article; token; permissions and groups (rate-limit tier); the service (block locked, two full_cleans with
    # their constraint checks, policy's group, revision, insert, tags, log); the response (annotation, tags, evidence)
    with django_assert_max_num_queries(44):
        response = api.post(container(budget), note(selector=fragment("k001", quote("the deficit"))))
    url, etag = path_of(response["Location"]), response["ETag"]
    data = response.json()
    data.pop("moderation")
    # token, permissions and groups; the annotation locked with its tags and evidence (for the ETag); the
    # service as from the edit form; the response's three
    with django_assert_max_num_queries(43):
        etag = api.put(url, data, headers={"If-Match": etag})["ETag"]
    # token, permissions and groups; the annotation locked with its tags and evidence; the service's lock and delete
    # (with the RESTRICT check for replies)
    with django_assert_max_num_queries(18):
        assert api.delete(url, headers={"If-Match": etag}).status_code == 204
