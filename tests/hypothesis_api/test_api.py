"""The h-compatible API the Hypothesis client calls: discovery, profile, groups, search, writes, flags.

Writes go through the site's services: the same validation, moderation policy, limits and audit rows; the user
comes from the access token only; bad input is h's ``{"status": "failure", "reason": …}`` with a 4xx and nothing
written.
"""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from annotations.models import Annotation, Flag, ModerationLog
from hypothesis_api import tokens

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/articles/{slug}/"


def _page(article, query=""):
    return PAGE.format(slug=article.slug) + query


def _failure(response, status, reason_part):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "failure", body
    assert reason_part in body["reason"], body["reason"]


# --- discovery -------------------------------------------------------------------------------------------------


def _routes(node, prefix=""):
    for name, value in node.items():
        if "method" in value and "url" in value:
            yield prefix + name, value
        else:
            yield from _routes(value, prefix + name + ".")


def test_the_index_lists_every_route_the_client_calls(api):
    routes = dict(_routes(api("get").json()["links"]))
    for name in (
        "annotation.create",
        "annotation.read",
        "annotation.update",
        "annotation.delete",
        "annotation.flag",
        "annotation.hide",
        "annotation.unhide",
        "search",
        "groups.read",
        "group.read",
        "profile.read",
        "profile.update",
        "profile.groups.read",
        "links",
        "analytics.events.create",
    ):
        assert name in routes, name
    assert routes["annotation.update"] == {
        "method": "PATCH",
        "url": "http://testserver/hypothesis/api/annotations/:id",
        "desc": "Update an annotation",
    }
    assert routes["links"]["url"] == "http://testserver/hypothesis/api/links"


def test_links_has_every_key_the_sidebar_requires(api):
    links = api("get", "links").json()
    for key in ("account.settings", "groups.new", "signup", "user", "search.tag", "oauth.authorize", "oauth.revoke"):
        assert links[key].startswith("http://testserver/"), key
    assert ":user" in links["user"] and ":tag" in links["search.tag"]
    assert "websocket" not in links  # no real-time updates


def test_profile_and_groups_for_anonymous_and_signed_in_readers(api, author, access_token):
    anonymous = api("get", "profile", query={"authority": tokens.authority()}).json()
    assert anonymous["userid"] is None and anonymous["authority"] == tokens.authority()
    assert api("get", "profile/groups").json() == []
    token = access_token(author)
    profile = api("get", "profile", token=token).json()
    assert profile["userid"] == f"acct:author@{tokens.authority()}"
    assert profile["user_info"]["display_name"] == (author.get_full_name() or "author")
    (group,) = api("get", "groups", query={"document_uri": "http://testserver/x"}).json()
    assert (group["id"], group["name"], group["type"], group["pre_moderated"]) == ("__world__", "Public", "open", True)
    assert [g["id"] for g in api("get", "profile/groups", token=token).json()] == ["__world__"]
    assert api("get", "groups/__world__").json()["id"] == "__world__"
    _failure(api("get", "groups/other"), 404, "one group")
    # preferences are not kept: the profile comes back unchanged, as h answers
    assert api("patch", "profile", token=token, body={"preferences": {"x": True}}).json() == profile
    assert api("post", "analytics/events", body={"event": "x"}).status_code == 204


def test_a_session_cookie_is_not_a_credential(client, api, author):
    client.force_login(author)
    assert api("get", "profile").json()["userid"] is None
    _failure(api("post", "annotations", body={"text": "x"}), 401, "Log in")


def test_a_malformed_authorization_is_refused(api):
    _failure(api("get", "profile", token="anno_something"), 401, "not an access token")
    _failure(api("get", "profile", HTTP_AUTHORIZATION="Basic abc"), 400, "Bearer")


# --- search ----------------------------------------------------------------------------------------------------


@pytest.fixture
def page_annotations(article, make_annotation, author, other_user, make_user):
    """On k002 ("Paragraph 2 text."): approved public by other_user; pending, rejected and private by author;
    pending by a third user (not for anyone else's eyes); a fact-check by other_user."""
    third = make_user("third")
    base = timezone.now() - dt.timedelta(hours=1)
    made = {
        "approved": make_annotation(article=article, author=other_user, block="k002", quote="text", tags=["a", "b"]),
        "own_pending": make_annotation(article=article, status="pending", block="k002", quote="Paragraph"),
        "own_rejected": make_annotation(article=article, status="rejected", block="k001"),
        "own_private": make_annotation(article=article, visibility="private", block="k003", quote="3"),
        "third_pending": make_annotation(article=article, author=third, status="pending", block="k001"),
        "fact_check": make_annotation(
            article=article, author=other_user, kind="fact_check", block="k003", quote="Paragraph 3", tags=["x"]
        ),
    }
    for minutes, annotation in enumerate(made.values()):
        Annotation.objects.filter(pk=annotation.pk).update(created_at=base + dt.timedelta(minutes=minutes))
    return made


def _search(api, article, token=None, **query):
    params = {"limit": 50, "sort": "created", "order": "asc", "_separate_replies": "false", "group": "__world__"}
    params.update(query)
    params.setdefault("uri", [_page(article, "?client=hypothesis"), _page(article)])
    return api("get", "search", token=token, query=params)


def test_an_anonymous_reader_sees_the_approved_public_annotations(api, article, page_annotations):
    body = _search(api, article).json()
    ids = [row["id"] for row in body["rows"]]
    assert ids == [str(page_annotations["approved"].pk), str(page_annotations["fact_check"].pk)]
    assert body["total"] == 2 and body["replies"] == []
    row = body["rows"][0]
    assert row["user"] == f"acct:other@{tokens.authority()}"
    assert row["uri"] == _page(article)
    assert row["group"] == "__world__" and row["moderation_status"] == "APPROVED"
    assert row["tags"] == ["a", "b"]
    assert row["permissions"]["read"] == ["group:__world__"]
    # anchored: the paragraph's text element and the quote in it (offsets in UTF-16 units, as the DOM counts)
    range_selector, quote_selector = row["target"][0]["selector"]
    assert range_selector["startContainer"] == range_selector["endContainer"]
    assert 'data-block-key="k002"' in range_selector["startContainer"]
    assert (range_selector["startOffset"], range_selector["endOffset"]) == (12, 16)
    assert quote_selector == {"type": "TextQuoteSelector", "exact": "text", "prefix": "Paragraph 2 ", "suffix": "."}


def test_a_fact_check_is_read_only_with_its_verdict_and_claim(api, article, page_annotations, access_token, other_user):
    token = access_token(other_user)  # even for its author
    row = next(
        r
        for r in _search(api, article, token=token).json()["rows"]
        if r["id"] == str(page_annotations["fact_check"].pk)
    )
    assert row["text"].startswith("**Fact-check: Misleading.** Claim checked: “Paragraph 3”")
    assert row["tags"][:2] == ["fact-check", "verdict: Misleading"] and "x" in row["tags"]
    assert row["permissions"]["update"] == [] and row["permissions"]["delete"] == []
    _failure(api("patch", f"annotations/{row['id']}", token=token, body={"text": "changed"}), 403, "fact-check form")
    _failure(api("delete", f"annotations/{row['id']}", token=token), 403, "fact-check form")


def test_a_signed_in_reader_also_sees_their_own_in_any_state(api, article, page_annotations, author, access_token):
    rows = _search(api, article, token=access_token(author)).json()["rows"]
    by_id = {row["id"]: row for row in rows}
    made = page_annotations
    assert set(by_id) == {
        str(made[k].pk) for k in ("approved", "own_pending", "own_rejected", "own_private", "fact_check")
    }
    assert by_id[str(made["own_pending"].pk)]["moderation_status"] == "PENDING"
    assert by_id[str(made["own_rejected"].pk)]["moderation_status"] == "DENIED"
    private = by_id[str(made["own_private"].pk)]
    assert private["permissions"]["read"] == [f"acct:author@{tokens.authority()}"]
    assert "moderation_status" not in private


def test_search_pages_with_search_after(api, article, page_annotations, author, access_token):
    token = access_token(author)
    first = _search(api, article, token=token, limit=2).json()
    assert first["total"] == 5 and len(first["rows"]) == 2
    seen = [row["id"] for row in first["rows"]]
    while len(seen) < first["total"]:
        page = _search(api, article, token=token, limit=2, search_after=first["rows"][-1]["created"]).json()
        assert page["rows"], "a page came back empty before the total"
        seen += [row["id"] for row in page["rows"]]
        first = page
    assert len(seen) == len(set(seen)) == 5
    descending = _search(api, article, token=token, order="desc", limit=1).json()["rows"]
    assert descending[0]["id"] == str(page_annotations["fact_check"].pk)


@pytest.mark.parametrize(
    "query, reason",
    [
        ({"limit": "x"}, "limit"),
        ({"limit": 500}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"order": "up"}, "order"),
        ({"search_after": "yesterday"}, "search_after"),
    ],
)
def test_bad_search_parameters_are_refused(api, article, query, reason):
    _failure(_search(api, article, **query), 400, reason)


def test_search_elsewhere_finds_nothing(api, article, page_annotations, make_article):
    assert _search(api, article, uri="https://elsewhere.example/articles/" + article.slug + "/").json()["total"] == 0
    assert _search(api, article, group="private-group").json()["total"] == 0
    draft = make_article(status="draft")
    assert _search(api, draft, uri=_page(draft)).json()["total"] == 0


def _many(article, make_annotation, author, count):
    for i in range(count):
        make_annotation(article=article, block=f"k00{1 + i % 3}", tags=[f"t{i % 4}"], author=author)


@pytest.mark.parametrize("count", [3, 40])
def test_search_queries_do_not_grow_with_the_annotations(
    api, article, make_annotation, author, other_user, access_token, django_assert_num_queries, count
):
    _many(article, make_annotation, other_user, count)
    parent = Annotation.objects.filter(article=article).first()
    make_annotation(article=article, author=other_user, parent=parent)  # a reply: its references
    token = access_token(author)
    # the token with its user; the article; the count; the page with authors and paragraphs; its tags;
    # the article's reply edges; the reader's flags on the page
    with django_assert_num_queries(7):
        body = _search(api, article, token=token).json()
    assert len(body["rows"]) == min(count + 1, 50)
    # anonymous: no token, no flags
    with django_assert_num_queries(5):
        _search(api, article).json()


def test_replies_carry_their_thread_as_references(api, article, make_annotation, other_user):
    root = make_annotation(article=article, author=other_user)
    reply = make_annotation(article=article, author=other_user, parent=root)
    answer = make_annotation(article=article, author=other_user, parent=reply)
    rows = {row["id"]: row for row in _search(api, article).json()["rows"]}
    assert rows[str(answer.pk)]["references"] == [str(root.pk), str(reply.pk)]
    assert "selector" not in rows[str(answer.pk)]["target"][0]
    assert "references" not in rows[str(root.pk)]
    assert api("get", f"annotations/{answer.pk}").json()["references"] == [str(root.pk), str(reply.pk)]


# --- create ----------------------------------------------------------------------------------------------------


def _new(article, *, exact="text", prefix="Paragraph 2 ", suffix=".", text="A *note*.", tags=("t1",), **changes):
    body = {
        "created": "2020-01-01T00:00:00Z",
        "updated": "2020-01-01T00:00:00Z",
        "group": "__world__",
        "permissions": {"read": ["group:__world__"], "update": ["acct:x@y"], "delete": ["acct:x@y"]},
        "tags": list(tags),
        "text": text,
        "user": "acct:someone-else@elsewhere",  # never trusted
        "user_info": {"display_name": "Someone"},
        "hidden": False,
        "links": {},
        "uri": _page(article, "?client=hypothesis"),
        "document": {"title": ["A test article"], "link": [{"href": _page(article)}]},
        "target": [
            {
                "source": _page(article, "?client=hypothesis"),
                "selector": [
                    {
                        "type": "RangeSelector",
                        "startContainer": "/main[1]/article[1]/div[3]/section[2]/div[1]/p[1]",
                        "startOffset": 12,
                        "endContainer": "/main[1]/article[1]/div[3]/section[2]/div[1]/p[1]",
                        "endOffset": 16,
                    },
                    {"type": "TextPositionSelector", "start": 2012, "end": 2016},
                    {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix},
                ],
            }
        ],
    }
    body.update(changes)
    return body


def test_a_new_annotation_lands_on_its_paragraph_pending_through_the_services(api, article, author, access_token):
    response = api("post", "annotations", token=access_token(author), body=_new(article))
    assert response.status_code == 200, response.content
    data = response.json()
    annotation = Annotation.objects.get(pk=data["id"])
    assert (annotation.author, annotation.block.key, annotation.kind) == (author, "k002", "note")
    assert (annotation.quote, annotation.quote_start, annotation.quote_end) == ("text", 12, 16)
    assert annotation.body == "A *note*." and "<em>note</em>" in annotation.body_html
    assert [t.name for t in annotation.tags.all()] == ["t1"]
    assert annotation.status == "pending" and annotation.visibility == "public"
    assert ModerationLog.objects.filter(annotation=annotation, action="create").exists()
    assert data["user"] == f"acct:author@{tokens.authority()}"
    assert data["moderation_status"] == "PENDING" and data["tags"] == ["t1"]


def test_only_me_makes_a_private_annotation(api, article, author, access_token):
    me = f"acct:author@{tokens.authority()}"
    body = _new(article, permissions={"read": [me], "update": [me], "delete": [me]})
    data = api("post", "annotations", token=access_token(author), body=body).json()
    annotation = Annotation.objects.get(pk=data["id"])
    assert annotation.visibility == "private" and data["permissions"]["read"] == [me]


def test_a_trusted_annotators_note_publishes_at_once(api, article, moderator, access_token):
    data = api("post", "annotations", token=access_token(moderator), body=_new(article)).json()
    assert data["moderation_status"] == "APPROVED"


@pytest.mark.parametrize(
    "changes, status, reason",
    [
        ({"exact": "text.\n¶ Link to this paragraph\nParagraph 3"}, 400, "within one paragraph"),
        ({"exact": "nowhere in it"}, 400, "within one paragraph"),
        (
            {"uri": "https://elsewhere.example/page", "target": [{"source": "https://elsewhere.example/page"}]},
            400,
            "own published articles",
        ),
        ({"target": [{"source": "http://testserver/articles/x/"}]}, 400, "own published articles"),
        ({"target": "nope"}, 400, "one target"),
        ({"text": ""}, 400, "Write a note"),
        ({"text": "x" * 5001}, 400, "body"),
        ({"tags": "not a list"}, 400, "tags"),
        ({"tags": [f"tag{i}" for i in range(50)]}, 400, "tags"),
        ({"group": "elsewhere"}, 400, "Public group"),
        ({"references": ["999999"]}, 400, "reply to a published annotation"),
        ({"references": ["x1"]}, 400, "references"),
        ({"text": "bad \x00 control"}, 400, "body"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(api, article, author, access_token, counts, changes, status, reason):
    token = access_token(author)
    before = counts()
    changes = dict(changes)
    body = _new(article, **{k: changes.pop(k) for k in ("exact",) if k in changes})
    body.update(changes)
    _failure(api("post", "annotations", token=token, body=body), status, reason)
    assert counts() == before


def _reply(article, parent, text="I agree.", **changes):
    body = _new(article, text=text, references=[str(parent.pk)], target=[{"source": _page(article)}])
    body.update(changes)
    return body


def test_a_reply_from_the_sidebar_goes_through_the_reply_service(
    api, article, make_annotation, author, other_user, access_token
):
    root = make_annotation(article=article, author=other_user, block="k002", quote="text")
    response = api("post", "annotations", token=access_token(author), body=_reply(article, root))
    assert response.status_code == 200, response.content
    data = response.json()
    reply = Annotation.objects.get(pk=data["id"])
    assert (reply.parent, reply.author, reply.block.key, reply.quote) == (root, author, "k002", "")
    assert reply.status == "pending" and [t.name for t in reply.tags.all()] == ["t1"]
    assert data["references"] == [str(root.pk)] and "selector" not in data["target"][0]
    # pending: its author sees it in the thread, other readers not yet
    by_author = _search(api, article, token=access_token(author)).json()["rows"]
    assert str(reply.pk) in [row["id"] for row in by_author]
    assert str(reply.pk) not in [row["id"] for row in _search(api, article).json()["rows"]]


def test_a_reply_to_what_readers_cannot_see_or_a_private_reply_is_refused(
    api, article, make_annotation, author, other_user, access_token, counts, make_article
):
    token = access_token(author)
    pending = make_annotation(article=article, author=other_user, status="pending")
    approved = make_annotation(article=article, author=other_user)
    elsewhere = make_annotation(article=make_article(), author=other_user)
    before = counts()
    _failure(api("post", "annotations", token=token, body=_reply(article, pending)), 400, "published annotation")
    _failure(api("post", "annotations", token=token, body=_reply(article, elsewhere)), 400, "of this article")
    me = f"acct:author@{tokens.authority()}"
    private = _reply(article, approved, permissions={"read": [me]})
    _failure(api("post", "annotations", token=token, body=private), 400, "public")
    assert counts() == before


def test_a_page_note_without_words_is_refused(api, article, author, access_token, counts):
    before = counts()
    body = _new(article, target=[{"source": _page(article)}])
    _failure(api("post", "annotations", token=access_token(author), body=body), 400, "page notes")
    assert counts() == before


def test_an_oversized_body_is_refused_before_it_is_read(api, article, author, access_token, counts):
    before = counts()
    raw = '{"text": "' + "x" * 70_000 + '"}'
    _failure(api("post", "annotations", token=access_token(author), raw=raw), 413, "at most")
    _failure(api("post", "annotations", token=access_token(author), raw="{not json"), 400, "JSON")
    assert counts() == before


def test_writes_without_a_token_or_with_a_stale_one_are_refused(api, article, author, access_token, counts):
    before = counts()
    _failure(api("post", "annotations", body=_new(article)), 401, "Log in")
    _failure(api("post", "annotations", token="hyp_a_forged", body=_new(article)), 401, "Unknown")
    assert counts() == before


@override_settings(RATE_LIMITS={"annotate": {"new": "2/h", "member": "2/h", "trusted": "2/h", "ip": "100/h"}})
def test_creating_counts_against_the_rate_limit(api, article, author, access_token):
    token = access_token(author)
    for _ in range(2):
        assert api("post", "annotations", token=token, body=_new(article)).status_code == 200
    response = api("post", "annotations", token=token, body=_new(article))
    _failure(response, 429, "Too many")
    assert int(response["Retry-After"]) > 0
    assert Annotation.objects.count() == 2


# --- read, update, delete, flag ---------------------------------------------------------------------------------


def test_read_one_annotation_as_its_readers_may(api, article, make_annotation, author, other_user, access_token):
    pending = make_annotation(article=article, status="pending")
    assert api("get", f"annotations/{pending.pk}", token=access_token(author)).json()["id"] == str(pending.pk)
    _failure(api("get", f"annotations/{pending.pk}"), 404, "not allowed")
    _failure(api("get", f"annotations/{pending.pk}", token=access_token(other_user)), 404, "not allowed")


def test_the_author_edits_with_the_whole_annotation(api, article, author, access_token, make_annotation):
    token = access_token(author)
    created = api("post", "annotations", token=token, body=_new(article)).json()
    edited = dict(created, text="Edited *text*.", tags=["t2", "t3"])
    response = api("patch", f"annotations/{created['id']}", token=token, body=edited)
    assert response.status_code == 200, response.content
    annotation = Annotation.objects.get(pk=created["id"])
    assert annotation.body == "Edited *text*." and annotation.edited_at is not None
    assert sorted(t.name for t in annotation.tags.all()) == ["t2", "t3"]
    assert (annotation.block.key, annotation.quote) == ("k002", "text")  # the target stays
    assert response.json()["text"] == "Edited *text*."


def test_an_edit_of_an_approved_note_by_an_untrusted_author_goes_back_to_review(
    api, article, author, access_token, make_annotation
):
    approved = make_annotation(article=article, block="k002", quote="text")
    token = access_token(author)
    current = api("get", f"annotations/{approved.pk}", token=token).json()
    data = api("patch", f"annotations/{approved.pk}", token=token, body=dict(current, text="Changed.")).json()
    assert data["moderation_status"] == "PENDING"
    assert ModerationLog.objects.filter(annotation=approved, action="resubmit").exists()


def test_only_the_author_edits_or_deletes(api, article, make_annotation, other_user, access_token, counts):
    approved = make_annotation(article=article)
    token = access_token(other_user)
    before = counts()
    _failure(api("patch", f"annotations/{approved.pk}", token=token, body={"text": "mine now"}), 403, "Only the author")
    _failure(api("delete", f"annotations/{approved.pk}", token=token), 403, "Only the author")
    _failure(api("delete", f"annotations/{approved.pk}"), 401, "Log in")
    assert counts() == before
    assert Annotation.objects.get(pk=approved.pk).body == approved.body


def test_the_author_deletes(api, article, author, access_token):
    token = access_token(author)
    created = api("post", "annotations", token=token, body=_new(article)).json()
    response = api("delete", f"annotations/{created['id']}", token=token)
    assert response.json() == {"id": created["id"], "deleted": True}
    assert not Annotation.objects.filter(pk=created["id"]).exists()
    _failure(api("delete", f"annotations/{created['id']}", token=token), 404, "does not exist")


def test_a_flag_from_the_sidebar_reaches_the_moderators(api, article, make_annotation, other_user, access_token):
    approved = make_annotation(article=article)
    token = access_token(other_user)
    response = api("put", f"annotations/{approved.pk}/flag", token=token)
    assert response.status_code == 204
    flag = Flag.objects.get(annotation=approved)
    assert (flag.reporter, flag.reason, flag.resolution) == (other_user, "other", "open")
    assert Annotation.objects.get(pk=approved.pk).open_flag_count == 1
    assert api("get", f"annotations/{approved.pk}", token=token).json()["flagged"] is True
    _failure(api("put", f"annotations/{approved.pk}/flag", token=token), 400, "already flagged")
    _failure(api("put", f"annotations/{approved.pk}/flag"), 401, "Log in")


def test_moderation_routes_point_to_the_admin(api, article, make_annotation, moderator, access_token):
    approved = make_annotation(article=article)
    token = access_token(moderator)
    _failure(api("put", f"annotations/{approved.pk}/hide", token=token), 403, "admin")
    _failure(api("patch", f"annotations/{approved.pk}/moderation", token=token, body={}), 403, "admin")
    assert Annotation.objects.get(pk=approved.pk).status == "approved"


def test_methods_not_allowed(api):
    response = api("get", "annotations")
    _failure(response, 405, "POST")
    assert response["Allow"] == "POST"
