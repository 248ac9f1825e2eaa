"""The W3C Web Annotation Protocol's MUSTs (sections 3-5), walked against a live server over HTTP.

https://www.w3.org/TR/annotation-protocol/ — each check names its section. The server is pytest-django's
``live_server`` (a real socket, the whole middleware stack, CORS included); requests go through
``http.client``, so nothing of Django's test client (no session shortcuts, no CSRF exemption) helps.
Then the round trip: every annotation the site emits for the demo article (to the public, or to its
author: pending and rejected ones too), POSTed to another article's container by its author, is accepted
and emitted back identically apart from its id, its target's source and the dates.
"""

from __future__ import annotations

import copy
import http.client
import io
import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.tokens import create_token
from annotations.models import Annotation
from articles.demo import SAMPLE_SLUG
from articles.models import Article, Block

pytestmark = pytest.mark.django_db(transaction=True)

ANNO = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO}"'
LDP = "http://www.w3.org/ns/ldp#"
COPY_SLUG = "reflections-copy"


class Server:
    """HTTP against the live server; counts the requests it makes."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port
        self.requests = 0

    def __call__(self, method: str, path: str, *, body=None, token: str | None = None, **headers):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20)
        headers = {name.replace("_", "-"): value for name, value in headers.items()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", MEDIA_TYPE)
        path = path.removeprefix(self.base)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        self.requests += 1
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)


class Response:
    def __init__(self, status: int, headers: dict, raw: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, raw

    def json(self):
        return json.loads(self.raw)

    def header_set(self, name: str) -> set[str]:
        return {value.strip().lower() for value in self.headers.get(name.lower(), "").split(",") if value.strip()}


@pytest.fixture
def demo(live_server, settings):
    settings.RATELIMIT_ENABLE = False  # dozens of writes by two new accounts; the limits are tested elsewhere
    settings.ANNOTATIONS_W3C_PAGE_SIZE = 4  # the demo's approved annotations span several pages
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    with override_settings(DEBUG=True):
        call_command("setup_demo", stdout=io.StringIO())
    # another article holding the same text (a second copy the desk stores), for the round trip
    sample = Article.objects.get(slug=SAMPLE_SLUG)
    other = Article.objects.create(
        title=f"{sample.title} (second copy)", slug=COPY_SLUG, status=sample.status, language=sample.language
    )
    Block.objects.bulk_create(
        Block(article=other, key=b.key, position=b.position, kind=b.kind, text=b.text) for b in sample.blocks.current()
    )
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(["alice", "bob"], field_name="username")
    tokens = {name: create_token(user=user, name="conformance")[1] for name, user in users.items()}
    return Server(live_server.url), tokens


def container(server: Server, slug: str = SAMPLE_SLUG) -> str:
    return f"{server.base}/articles/{slug}/annotations/"


def check_annotation_headers(response: Response, *, what: str) -> None:
    assert response.headers["content-type"] == MEDIA_TYPE, what  # 4.1 the JSON-LD profile
    assert response.headers.get("etag"), what  # 4.1 ETag
    assert {"get", "head", "options"} <= response.header_set("Allow"), what  # 4.1 Allow
    assert f'<{LDP}Resource>; rel="type"' in response.headers["link"], what  # 4.1 Link type
    assert "accept" in response.header_set("Vary"), what  # 4.1 Vary: Accept


def test_every_must_of_sections_3_to_5(demo):
    server, tokens = demo
    alice = tokens["alice"]

    # --- 4 Annotation Retrieval ----------------------------------------------------------------------------
    collection = server("GET", container(server), Accept=MEDIA_TYPE).json()
    iri = collection["first"]["items"][0]["id"]
    assert iri.startswith(container(server))  # 3.? / 5: annotations are contained in their container
    for accept in (MEDIA_TYPE, "application/ld+json", None):  # 4.1: the profile asked for, or by default
        response = server("GET", iri, **({"Accept": accept} if accept else {}))
        assert response.status == 200
        check_annotation_headers(response, what=f"GET {accept}")
        data = response.json()
        assert data["@context"] == ANNO and data["type"] == "Annotation" and data["id"] == iri  # 3.1
    etag = response.headers["etag"]
    head = server("HEAD", iri)
    assert head.status == 200 and head.raw == b"" and head.headers["etag"] == etag  # 4.1 HEAD
    options = server("OPTIONS", iri)
    assert options.status == 200 and {"get", "put", "delete"} <= options.header_set("Allow")  # 4.1 OPTIONS
    assert server("GET", iri, If_None_Match=etag).status == 304  # conditional GET on the ETag
    assert server("GET", iri, Accept="text/turtle").status == 406  # only JSON-LD is served

    # --- 5 Annotation Containers ---------------------------------------------------------------------------
    for method in ("GET", "HEAD", "OPTIONS"):
        response = server(method, container(server), Accept=MEDIA_TYPE)
        assert response.status == 200, method
        link = response.headers["link"]
        assert f'<{LDP}BasicContainer>; rel="type"' in link, method  # 5: a Basic Container
        assert f'rel="{LDP}constrainedBy"' in link, method  # 5: constrainedBy the protocol
        assert {"get", "head", "options", "post"} <= response.header_set("Allow"), method  # 5 Allow
        assert "accept-post" in response.headers, method  # 5: what POST takes (SHOULD)
        if method != "OPTIONS":
            assert response.headers["content-type"] == MEDIA_TYPE and response.headers["etag"], method
            assert {"accept", "prefer"} <= response.header_set("Vary"), method  # 5: Vary Accept and Prefer
            assert response.headers["content-location"], method  # 5: Content-Location
    body = server("GET", container(server)).json()
    assert {"BasicContainer", "AnnotationCollection"} <= set(body["type"])  # 5: the container's types
    assert body["total"] > 4 and body["first"]["items"] and body["last"].endswith(f"page={(body['total'] - 1) // 4}")

    # 5.2 Prefer: minimal container, contained IRIs, contained descriptions
    def prefer(what: str) -> Response:
        return server("GET", container(server), Prefer=f'return=representation;include="{what}"')

    minimal = prefer(f"{LDP}PreferMinimalContainer")
    assert isinstance(minimal.json()["first"], str) and minimal.headers["preference-applied"]
    iris = prefer("http://www.w3.org/ns/oa#PreferContainedIRIs")
    assert all(isinstance(item, str) for item in iris.json()["first"]["items"])
    assert iris.headers["content-location"] == iris.json()["id"] != body["id"]  # another representation
    descriptions = prefer("http://www.w3.org/ns/oa#PreferContainedDescriptions")
    assert all(isinstance(item, dict) for item in descriptions.json()["first"]["items"])
    assert len({minimal.headers["etag"], iris.headers["etag"], descriptions.headers["etag"]}) == 3

    # 5.3 paging: first, last, next, prev, partOf, startIndex
    page = server("GET", body["first"]["id"]).json()
    assert page["type"] == "AnnotationPage" and page["partOf"]["id"] == body["id"] and page["startIndex"] == 0
    seen = [item["id"] for item in page["items"]]
    while "next" in page:
        following = server("GET", page["next"]).json()
        assert following["prev"] == page["id"] and following["startIndex"] == len(seen)
        seen += [item["id"] for item in following["items"]]
        page = following
    assert page["id"] == body["last"] and len(seen) == len(set(seen)) == body["total"]

    # --- 5.1 Create ---------------------------------------------------------------------------------------------
    note = copy.deepcopy(server("GET", iri).json())
    note["id"] = "urn:uuid:6a3e5c68-4e5b-4b4e-9f7c-1e0f2d3c4b5a"  # the server assigns its own, keeps this as via
    note["canonical"] = "urn:uuid:0b7f9c1e-2d4a-4f6b-8c3e-5a1d9e7f2b60"  # 5.1 MUST be maintained without change
    note["motivation"], note["body"] = "commenting", [{"type": "TextualBody", "value": "Conformance note."}]
    assert server("POST", container(server), body=note).status == 401  # an account is needed
    created = server("POST", container(server), body=note, token=alice)
    assert created.status == 201  # 5.1 201 Created
    location = created.headers["location"]
    assert location.startswith(container(server)) and created.json()["id"] == location  # 5.1 Location, id
    assert created.json()["canonical"] == note["canonical"]  # 5.1 canonical kept
    assert created.json()["via"] == note["id"]  # 5.1 the client's id copied to via
    check_annotation_headers(created, what="POST")
    fetched = server("GET", location, token=alice)
    assert fetched.status == 200 and fetched.json() == created.json()  # stored as returned
    assert fetched.headers["etag"] == created.headers["etag"]
    assert server("POST", container(server), body="<x/>", token=alice, Content_Type="text/turtle").status == 415
    assert server("POST", container(server), body="{", token=alice, Content_Type=MEDIA_TYPE).status == 400

    # --- 5.2 Update ----------------------------------------------------------------------------------------------
    changed = created.json()
    changed.pop("moderation")
    changed["body"][0]["value"] = "Conformance note, corrected."
    assert server("PUT", location, body=changed, token=alice).status == 428  # If-Match required
    assert server("PUT", location, body=changed, token=alice, If_Match='"stale"').status == 412
    updated = server("PUT", location, body=changed, token=alice, If_Match=created.headers["etag"])
    assert updated.status == 200 and updated.json()["body"][0]["value"] == "Conformance note, corrected."
    check_annotation_headers(updated, what="PUT")
    assert updated.headers["etag"] != created.headers["etag"]
    assert server("PUT", location, body=changed, token=tokens["bob"], If_Match="*").status == 404  # not bob's

    # --- 5.3 Delete ----------------------------------------------------------------------------------------------
    assert updated.json()["canonical"] == note["canonical"]  # still kept after the replacement
    assert server("DELETE", location, token=alice, If_Match=created.headers["etag"]).status == 412  # stale
    deleted = server("DELETE", location, token=alice, If_Match=updated.headers["etag"])
    assert deleted.status == 204 and deleted.raw == b""
    assert server("GET", location, token=alice).status == 404
    # the protocol's DELETE sends no If-Match (its test suites neither): it deletes
    plain = server("POST", container(server), body=note, token=alice)
    assert server("DELETE", plain.headers["location"], token=alice).status == 204
    assert server("GET", plain.headers["location"], token=alice).status == 404

    # --- errors -------------------------------------------------------------------------------------------------
    for method, url, allowed in (("PATCH", iri, "PUT"), ("PUT", container(server), "POST")):
        refused = server(method, url, body="{}", token=alice, Content_Type=MEDIA_TYPE)
        assert refused.status == 405 and allowed.lower() in refused.header_set("Allow")
        assert refused.headers["content-type"] == "application/problem+json"

    # CORS: any origin reads
    cross = server("GET", iri, Origin="https://elsewhere.example")
    assert cross.headers["access-control-allow-origin"] == "https://elsewhere.example"
    print(f"\nconformance walk: {server.requests} requests")


# --- the round trip --------------------------------------------------------------------------------------------


def comparable(data: dict, *, slug: str) -> dict:
    """``data`` without what the round trip may change: id (the old one becomes ``via``), the target's source and
    its state, dates."""
    data = copy.deepcopy(data)
    for key in ("id", "via", "created", "modified", "moderation"):
        data.pop(key, None)
    data["target"].pop("source")
    data["target"].pop("state", None)
    for body in data["body"]:
        if isinstance(body.get("state"), dict):
            body["state"].pop("sourceDate", None)
    return data


def test_round_trip_of_every_demo_annotation(demo):
    server, tokens = demo
    emitted = []
    for annotation in Annotation.objects.filter(article__slug=SAMPLE_SLUG).select_related("author"):
        # as the site emits it: to its author (pending and rejected too), with the author's token
        response = server("GET", f"{container(server)}{annotation.pk}", token=tokens[annotation.author.get_username()])
        assert response.status == 200
        emitted.append((annotation.author.get_username(), response.json()))
    assert len(emitted) == 12

    public = server("GET", container(server)).json()["total"]
    copy_source = f"{server.base}/articles/{COPY_SLUG}/"
    for username, data in emitted:
        sent = copy.deepcopy(data)
        sent.pop("moderation")
        sent["target"]["source"] = copy_source
        created = server("POST", container(server, COPY_SLUG), body=sent, token=tokens[username])
        assert created.status == 201, created.raw
        again = server("GET", created.headers["location"], token=tokens[username]).json()
        assert comparable(again, slug=COPY_SLUG) == comparable(data, slug=SAMPLE_SLUG)
        assert again["via"] == data["id"]  # where it was copied from (5.1)
        assert again["target"]["source"] == copy_source
    assert Annotation.objects.filter(article__slug=COPY_SLUG).count() == len(emitted)
    assert server("GET", container(server)).json()["total"] == public  # the demo article is unchanged
    print(f"\nround trip: {len(emitted)} annotations, {server.requests} requests")
