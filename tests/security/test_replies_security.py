"""Replies (issue #15) in the authorization matrix and the XSS corpus.

Authorization: who may open the reply form and post a reply, for every state of the annotation answered and
every persona (a refusal writes nothing); who may edit or delete a reply; who may reply from the admin.
XSS: hostile text posted as a reply's body and tags is stored as data and inert on every surface a reply
appears: the article page (anonymous and signed in), the permalink and its thread, the reply form's page
(the annotation answered, shown for context), the author, tag and search pages, the Atom feed (parsed as XML),
the W3C JSON-LD and the collection, the Markdown export, and the admin's queue (with the thread it answers)
and change page. The payloads restate a part of tests/security/test_xss_corpus.py (modules never import
one another)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from annotations.models import Annotation
from tests.helpers import row_counts
from tests.security.html_safety import assert_page_is_safe, squash

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "author", "trusted", "other_user", "moderator", "editor", "superuser"]
LOGIN = "/accounts/login/"


@pytest.fixture
def people(author, trusted, other_user, moderator, editor, superuser, plain_staff):
    return {
        "anonymous": None,
        "author": author,
        "trusted": trusted,
        "other_user": other_user,
        "moderator": moderator,
        "editor": editor,
        "superuser": superuser,
        "plain_staff": plain_staff,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def targets(article, make_annotation, author, other_user):
    """The author's annotations in every state, another annotator's published one, and replies."""
    made = {
        "public": make_annotation(article=article, author=author, body="Public note."),
        "private": make_annotation(article=article, author=author, body="Private.", visibility="private"),
        "pending": make_annotation(article=article, author=author, kind="fact_check", status="pending"),
        "rejected": make_annotation(article=article, author=author, body="Rejected.", status="rejected"),
        "hidden": make_annotation(article=article, author=author, body="Hidden.", status="hidden"),
        "theirs": make_annotation(article=article, author=other_user, body="Their note."),
    }
    made["deleted"] = make_annotation(article=article, author=None, body="", deleted_at="2026-01-01T00:00:00Z")
    made["reply"] = make_annotation(
        article=article, block=made["theirs"].block, parent=made["theirs"], author=author, body="Author's reply."
    )
    make_annotation(article=article, block=made["deleted"].block, parent=made["deleted"], author=other_user)
    made["under_hidden"] = make_annotation(
        article=article, block=made["hidden"].block, parent=made["hidden"], author=other_user, body="Under."
    )
    return made


def state() -> dict:
    rows = row_counts()
    rows["annotations"] = sorted(Annotation.objects.values_list("pk", "body", "status", "parent_id", "deleted_at"))
    return rows


REPLIABLE = {"public", "theirs", "reply"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "target", ["public", "private", "pending", "rejected", "hidden", "theirs", "deleted", "reply", "under_hidden"]
)
def test_who_may_reply_to_what(persona, target, people, targets, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    url = f"/annotations/{targets[target].pk}/reply/"
    before = state()
    get, post = client.get(url), client.post(url, {"body": "An answer."})
    if user is None:
        assert get.status_code == post.status_code == 302 and post["Location"].startswith(f"{LOGIN}?next=")
        assert state() == before
    elif target in REPLIABLE:
        assert get.status_code == 200 and post.status_code == 302
        reply = Annotation.objects.get(parent=targets[target], body="An answer.")
        assert reply.author == user and reply.kind == "note" and reply.visibility == "public"
    else:
        # whatever its author or the persona: nothing to answer (the same 404 as an id that never existed)
        assert get.status_code == post.status_code == 404
        assert state() == before


def test_reply_form_is_get_or_post_only(client, author, targets):
    client.force_login(author)
    url = f"/annotations/{targets['public'].pk}/reply/"
    assert client.put(url).status_code == 405 and client.delete(url).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["edit", "delete"])
def test_only_a_replys_author_may_edit_or_delete_it(action, persona, people, targets, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    reply = targets["reply"]
    url = f"/annotations/{reply.pk}/{action}/"
    before = state()
    data = {"body": "Changed."} if action == "edit" else {}
    response = client.post(url, data)
    if user is None:
        assert response.status_code == 302 and response["Location"].startswith(f"{LOGIN}?next=")
        assert state() == before
    elif persona == "author":
        assert response.status_code == 302
        if action == "edit":
            reply.refresh_from_db()
            assert reply.body == "Changed."
        else:
            assert not Annotation.objects.filter(pk=reply.pk).exists()
    else:
        assert response.status_code == 404
        assert state() == before


@pytest.mark.parametrize("persona", [*PERSONAS, "plain_staff"])
def test_who_may_reply_from_the_admin(persona, people, targets):
    user = people[persona]
    client = client_for(user)
    url = f"/admin/annotations/annotation/{targets['theirs'].pk}/reply/"
    before = state()
    response = client.post(url, {"body": "From the desk."})
    if persona in {"moderator", "editor", "superuser"}:
        assert response.status_code == 302
        assert Annotation.objects.filter(parent=targets["theirs"], author=user, body="From the desk.").exists()
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/")
        assert state() == before


# --------------------------------------------------------------------------- hostile text in replies

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "attr-break": '"><script>alert(1)</script>',
    "attr-inject": '" onmouseover="alert(1)" x="',
    "script-close": "</script><script>alert(1)</script>",
    "textarea-close": "</textarea><script>alert(1)</script>",
    "cdata-end": "]]><script>alert(1)</script>",
    "md-js-link": "[click](javascript:alert(1))",
    "md-data-link": "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "md-html-block": "<div onclick=alert(1)>x</div>",
    "json-break": '"}]</script>{"@type":"x","a":"',
    "rtl-override": "invoice\u202efdp.exe",
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>">',
}


def no_raw(html: str, payload: str, where: str) -> None:
    if "<" in payload or ">" in payload:
        assert payload not in html, f"{where}: raw payload"


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_hostile_reply_text_is_inert_everywhere(name, article, make_annotation, make_user, moderator, no_rate_limits):
    payload = PAYLOADS[name]
    check = make_annotation(article=article, kind="fact_check", body="The check.")
    replier = make_user("replier", groups=["annotators"])
    client = client_for(replier)
    response = client.post(f"/annotations/{check.pk}/reply/", {"body": f"Reply {payload}", "tags": "hostile"})
    assert response.status_code == 302, response.content.decode()[:1000]
    reply = Annotation.objects.get(parent=check)
    assert reply.body == f"Reply {payload}".strip()

    # the moderator's queue, with the thread it answers, and its change page; then it is approved
    staff = client_for(moderator)
    for url in ("/admin/annotations/annotation/queue/?replies=1", f"/admin/annotations/annotation/{reply.pk}/change/"):
        html = staff.get(url).content.decode()
        assert_page_is_safe(html, where=url, admin=True)
        no_raw(html, payload, url)
    Annotation.objects.filter(pk=reply.pk).update(status="approved")
    # an answer to the hostile reply: the reply form shows it for context
    answer_form = client_for(make_user("answerer", groups=["annotators"])).get(f"/annotations/{reply.pk}/reply/")
    pages = {"reply form": answer_form.content.decode()}
    anonymous = Client()
    for where, url in {
        "article": article.get_absolute_url(),
        "permalink": f"/annotations/{reply.pk}/",
        "thread": f"/annotations/{check.pk}/",
        "author page": "/users/replier/",
        "tag page": "/tags/hostile/",
        "search": "/search/?q=Reply",
    }.items():
        response = anonymous.get(url)
        assert response.status_code == 200, where
        pages[where] = response.content.decode()
    pages["article, signed in"] = client.get(article.get_absolute_url()).content.decode()
    for where, html in pages.items():
        scan = assert_page_is_safe(html, where=f"{where} {name}")
        no_raw(html, payload, where)
        if where != "search":
            assert squash("Reply") in squash(scan.text)

    # the Atom feed parses as XML, its content is the sanitised body
    feed = anonymous.get(f"/articles/{article.slug}/feed/").content
    root = ET.fromstring(feed)
    contents = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}content")]
    reply_content = next(c for c in contents if "In reply to" in c)
    assert_page_is_safe(reply_content, where=f"feed {name}")
    # W3C JSON-LD: the text as data; the collection too
    data = anonymous.get(f"/annotations/{reply.pk}.jsonld").json()
    assert data["body"][0]["value"] == reply.body and data["motivation"] == "replying"
    collection = anonymous.get(f"/articles/{article.slug}/annotations/", headers={"Accept": "application/ld+json"})
    assert json.loads(collection.content)  # well-formed, whatever the text
    # the Markdown export: no raw HTML
    text = anonymous.get(f"/articles/{article.slug}/export.md").content.decode()
    no_raw(text, payload, "markdown")
