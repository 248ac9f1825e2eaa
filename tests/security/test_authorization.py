"""Who may change what: every data-changing URL, tried by every persona, with GET and POST.

Personas: anonymous, an annotator (the author of the annotations under
test), a trusted annotator, another annotator, a moderator, an editor, a
superuser (and staff without permissions). Targets include guessed ids of
other people's annotations: sequential ids, private, pending, rejected and
hidden ones, ids that do not exist.

Then: CSRF is enforced on every POST endpoint, and private (and unpublished)
annotations never reach anyone but their author on any public surface.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from annotations.models import Annotation, Flag, ModerationLog
from articles.models import Article
from tests.helpers import annotate_payload, row_counts

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "author", "trusted", "other_user", "moderator", "editor", "superuser"]
STAFF_WHO_MODERATE = {"moderator", "editor", "superuser"}
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests-123"


@pytest.fixture
def people(request, author, trusted, other_user, moderator, editor, superuser, plain_staff):
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


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def targets(article, make_annotation, author, other_user):
    """The author's annotations in every state, and another annotator's published one."""
    return {
        "public": make_annotation(article=article, author=author, body="Public note.", tags=["economy"]),
        "private": make_annotation(
            article=article, author=author, body="Private note.", visibility="private", status="approved"
        ),
        "pending": make_annotation(
            article=article, author=author, kind="fact_check", body="Pending check.", status="pending"
        ),
        "rejected": make_annotation(article=article, author=author, body="Rejected note.", status="rejected"),
        "hidden": make_annotation(article=article, author=author, body="Hidden note.", status="hidden"),
        "theirs": make_annotation(article=article, author=other_user, body="Their note."),
    }


def state() -> dict:
    """Everything a write may change: row counts and every annotation's moderation-relevant fields."""
    rows = row_counts()
    rows["annotation_fields"] = sorted(
        Annotation.objects.values_list(
            "pk", "body", "status", "visibility", "quote", "claim", "verdict", "open_flag_count"
        )
    )
    rows["articles"] = sorted(Article.objects.values_list("pk", "title", "status"))
    rows["passwords"] = sorted(get_user_model().objects.values_list("pk", "password"))
    return rows


def is_login_redirect(response, login=LOGIN) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{login}?next=")


def edit_data(body: str) -> dict:
    """The annotate/edit form's payload: a note, with a verdict and an evidence row a note ignores."""
    return annotate_payload(
        body=body, verdict="misleading", evidence=[{"url": "https://example.org/source", "title": "A source"}]
    )


# --------------------------------------------------------------------------- the author's own pages


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["edit", "delete"])
def test_only_the_author_may_edit_or_delete(action, persona, people, targets, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    missing = max(a.pk for a in targets.values()) + 1000
    for name, annotation in [*targets.items(), ("missing", Annotation(pk=missing))]:
        url = f"/annotations/{annotation.pk}/{action}/"
        may = user is not None and annotation.author_id == user.pk
        before = state()
        response = client.get(url)
        if user is None:
            assert is_login_redirect(response), (name, response.status_code)
        else:
            assert response.status_code == (200 if may else 404), (name, response.status_code)
        data = edit_data(f"Changed by {persona}") if action == "edit" else {}
        response = client.post(url, data)
        if user is None:
            assert is_login_redirect(response)
            assert state() == before
        elif not may:
            assert response.status_code == 404, (name, response.status_code)
            assert state() == before, name
        else:
            assert response.status_code == 302, (name, response.content.decode()[:500])
            if action == "delete":
                assert not Annotation.objects.filter(pk=annotation.pk).exists()
            else:
                assert Annotation.objects.get(pk=annotation.pk).body == f"Changed by {persona}"
    # other methods are refused outright
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/annotations/{targets['theirs'].pk}/{action}/")
        if user is None:
            assert is_login_redirect(response), (method, response.status_code)  # login_required answers first
        else:
            assert response.status_code == 405, (method, response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_guessing_sequential_ids_reveals_nothing(persona, people, targets, make_article, make_annotation, author):
    """Walk every id: only what the persona may see or change answers, everything else is 404."""
    draft = make_article(slug="draft", status="draft")
    make_annotation(article=draft, author=author, body="On a draft.")  # readable by its author only
    user = people[persona]
    client = client_for(user)
    readable = {targets["public"].pk, targets["theirs"].pk}
    if user is not None:
        readable |= set(Annotation.objects.filter(author=user).values_list("pk", flat=True))  # one's own, in any state
    # every id this test's rows hold, and a few on each side (ids do not restart at 1 between tests on
    # PostgreSQL, whose sequences are not rolled back)
    ids = list(Annotation.objects.values_list("pk", flat=True))
    for pk in range(max(min(ids) - 2, 1), max(ids) + 3):
        permalink = client.get(f"/annotations/{pk}/").status_code
        assert permalink == (200 if pk in readable else 404), (pk, permalink)
        jsonld = client.get(f"/annotations/{pk}.jsonld").status_code
        assert jsonld == (200 if pk in {targets["public"].pk, targets["theirs"].pk} else 404), (pk, jsonld)
        for action in ("edit", "delete", "flag"):
            status = client.get(f"/annotations/{pk}/{action}/").status_code
            if user is None:
                assert status == 302
            elif action == "flag":
                flaggable = pk in {targets["public"].pk, targets["theirs"].pk}  # the form; posting one's own is refused
                assert status == (200 if flaggable else 404), (pk, action, status)
            else:
                own = user is not None and Annotation.objects.filter(pk=pk, author=user).exists()
                assert status == (200 if own else 404), (pk, action, status)


# --------------------------------------------------------------------------- create and flag


@pytest.mark.parametrize("persona", PERSONAS)
def test_annotating_needs_an_account_and_a_visible_article(persona, people, article, make_article, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    draft = make_article(slug="draft-article", status="draft")
    note = {**edit_data("A new note."), "evidence-TOTAL_FORMS": "0"}
    before = state()
    response = client.post(f"/articles/{article.slug}/p/k001/annotate/", note)
    if user is None:
        assert is_login_redirect(response)
        assert state() == before
        assert is_login_redirect(client.get(f"/articles/{article.slug}/p/k001/annotate/"))
        return
    assert response.status_code == 302
    created = Annotation.objects.get(body="A new note.")
    assert created.author == user and created.article == article
    # the author cannot be forged by a field
    client.post(
        f"/articles/{article.slug}/p/k002/annotate/",
        {**note, "body": "Forged.", "author": people["other_user"].pk, "status": "approved"},
    )
    # the note is written, by the poster, with the status the moderation policy gives (never the posted one)
    forged = Annotation.objects.get(body="Forged.")
    assert forged.author == user
    assert forged.status == ("approved" if persona in ("trusted", *STAFF_WHO_MODERATE) else "pending")
    # drafts: staff only
    before = state()
    response = client.post(f"/articles/{draft.slug}/p/k001/annotate/", {**note, "body": "On a draft."})
    if user.is_staff:
        assert response.status_code == 302
        assert Annotation.objects.get(body="On a draft.").article == draft
    else:
        assert response.status_code == 404 and state() == before
    # unknown paragraphs and articles
    assert client.post(f"/articles/{article.slug}/p/nope/annotate/", note).status_code == 404
    assert client.post("/articles/no-such-article/p/k001/annotate/", note).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_flagging(persona, people, targets, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    for name, annotation in targets.items():
        before = state()
        response = client.post(f"/annotations/{annotation.pk}/flag/", {"reason": "spam"})
        flaggable = name in ("public", "theirs")
        own = persona == "author" and name == "public" or persona == "other_user" and name == "theirs"
        if user is None:
            assert is_login_redirect(response) and state() == before
        elif not flaggable:
            assert response.status_code == 404 and state() == before, name
        elif own:
            assert response.status_code == 400 and state() == before, name
        else:
            assert response.status_code == 302, (name, response.status_code)
            assert Flag.objects.filter(annotation=annotation, reporter=user).count() == 1
            # once only
            again = client.post(f"/annotations/{annotation.pk}/flag/", {"reason": "abuse"})
            assert again.status_code == 400
            assert Flag.objects.filter(annotation=annotation, reporter=user).count() == 1


# --------------------------------------------------------------------------- the moderators' endpoints

DECIDE = "/admin/annotations/annotation/decide/"
CHANGELIST = "/admin/annotations/annotation/"


def expect_admin_refusal(response, user) -> None:
    """Non-staff are sent to the admin's login; staff without the permission get 403."""
    if user is None or not user.is_staff:
        assert is_login_redirect(response, ADMIN_LOGIN), response.status_code
    else:
        assert response.status_code == 403, response.status_code


@pytest.mark.parametrize("persona", [*PERSONAS, "plain_staff"])
def test_decide_endpoint(persona, people, targets):
    user = people[persona]
    client = client_for(user)
    pending = targets["pending"]
    response = client.get(DECIDE)
    before = state()
    post = client.post(DECIDE, {"annotation": pending.pk, "decision": "approve", "expected_status": "pending"})
    if persona in STAFF_WHO_MODERATE:
        assert response.status_code == 405
        assert post.status_code == 302
        assert Annotation.objects.get(pk=pending.pk).status == "approved"
        entry = ModerationLog.objects.get(annotation_ref=pending.pk, action="approve")
        assert entry.actor == user
        # a private annotation is never moderated, even by a superuser
        private = targets["private"]
        client.post(DECIDE, {"annotation": private.pk, "decision": "hide", "reason": "r"})
        assert Annotation.objects.get(pk=private.pk).status == "approved"
        assert not ModerationLog.objects.filter(annotation_ref=private.pk).exists()
    else:
        if user is not None and user.is_staff:
            assert response.status_code == 405  # the method is checked first
        else:
            expect_admin_refusal(response, user)
        expect_admin_refusal(post, user)
        assert state() == before


@pytest.mark.parametrize("persona", [*PERSONAS, "plain_staff"])
@pytest.mark.parametrize("action", ["bulk_approve", "bulk_reject", "bulk_hide", "delete_selected"])
def test_bulk_actions(action, persona, people, targets):
    user = people[persona]
    client = client_for(user)
    chosen = [targets["pending"].pk, targets["public"].pk, targets["private"].pk]
    before = state()
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": chosen, "apply": "1", "post": "yes", "reason": "Because."}
    )
    if user is None or not user.is_staff:
        assert is_login_redirect(response, ADMIN_LOGIN)
        assert state() == before
        return
    if persona == "plain_staff":
        assert response.status_code == 403 and state() == before
        return
    if action == "delete_selected" and persona != "superuser":
        # not offered to moderators and editors: the admin answers "no action selected" and changes nothing
        assert response.status_code == 302 and response["Location"] == CHANGELIST
        assert state() == before
        return
    assert response.status_code == 302, response.status_code
    after = {a.pk: a for a in Annotation.objects.filter(pk__in=chosen)}
    if action == "delete_selected":
        # someone else's private note is not in the back office at all, not even for a superuser
        assert set(after) == {targets["private"].pk}
    elif action == "bulk_approve":
        assert after[targets["pending"].pk].status == "approved"
    elif action == "bulk_reject":
        assert after[targets["pending"].pk].status == "rejected"
    elif action == "bulk_hide":
        assert after[targets["public"].pk].status == "hidden"
    if action != "delete_selected":
        assert after[targets["private"].pk].status == "approved"  # private ones are skipped


class _FormScraper(HTMLParser):
    """The fields of the admin's change form, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "image", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea:
            current = self.data[self._textarea][-1]
            # HTML drops one newline right after <textarea>
            self.data[self._textarea][-1] = current + (data[1:] if not current and data.startswith("\n") else data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.data[self._select] = chosen
            self._select = None


def scrape_form(html: str) -> dict:
    scraper = _FormScraper()
    scraper.feed(html)
    data = {k: (v if len(v) > 1 else v[0]) for k, v in scraper.data.items()}
    data["_save"] = "Save"
    return data


@pytest.mark.parametrize("persona", [*PERSONAS, "plain_staff"])
def test_admin_annotation_change_and_delete(persona, people, targets, superuser):
    user = people[persona]
    client = client_for(user)
    target = targets["public"]
    url = f"/admin/annotations/annotation/{target.pk}/change/"
    form = scrape_form(client_for(superuser).get(url).content.decode())
    assert form["body"] == "Public note."
    get = client.get(url)
    if persona in STAFF_WHO_MODERATE:
        assert get.status_code == 200
    else:
        expect_admin_refusal(get, user)
    before = state()
    response = client.post(url, {**form, "body": f"Changed by {persona} in the admin."})
    may_change = persona in STAFF_WHO_MODERATE
    if may_change:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Annotation.objects.get(pk=target.pk).body == f"Changed by {persona} in the admin."
    else:
        expect_admin_refusal(response, user)
        assert state() == before
    before = state()
    delete_url = f"/admin/annotations/annotation/{targets['theirs'].pk}/delete/"
    get = client.get(delete_url)
    response = client.post(delete_url, {"post": "yes"})
    if persona == "superuser":
        assert get.status_code == 200 and response.status_code == 302
        assert not Annotation.objects.filter(pk=targets["theirs"].pk).exists()
    else:
        # annotations are removed by their authors; moderators and editors hide or reject
        expect_admin_refusal(get, user)
        expect_admin_refusal(response, user)
        assert state() == before


@pytest.mark.parametrize("persona", [*PERSONAS, "plain_staff"])
def test_admin_article_change_and_delete(persona, people, article, make_article, superuser):
    user = people[persona]
    client = client_for(user)
    url = f"/admin/articles/article/{article.pk}/change/"
    form = scrape_form(client_for(superuser).get(url).content.decode())
    assert form["title"] == article.title
    get = client.get(url)
    if persona in ("moderator", "editor", "superuser"):
        assert get.status_code == 200  # moderators may read articles
    else:
        expect_admin_refusal(get, user)
    before = state()
    response = client.post(url, {**form, "title": f"Retitled by {persona}"})
    if persona in ("editor", "superuser"):
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Article.objects.get(pk=article.pk).title == f"Retitled by {persona}"
    elif persona == "moderator":
        assert response.status_code == 403 and state() == before
    else:
        expect_admin_refusal(response, user)
        assert state() == before
    spare = make_article(slug="spare")
    before = state()
    response = client.post(f"/admin/articles/article/{spare.pk}/delete/", {"post": "yes"})
    if persona in ("editor", "superuser"):
        # an article without annotations (test_an_editor_can_delete_an_article)
        assert response.status_code == 302
        assert not Article.objects.filter(pk=spare.pk).exists()
    elif persona == "moderator":
        assert response.status_code == 403 and state() == before
    else:
        expect_admin_refusal(response, user)
        assert state() == before


def test_deleting_an_annotated_article_never_fails(client, editor, superuser, article, make_annotation):
    """Blocks are RESTRICT for annotations: the admin's delete page answers cleanly (no 500).

    An editor may not delete annotations, so the article stays (403); a
    superuser deletes the article and its annotations with it.
    """
    annotation = make_annotation(article=article, kind="fact_check")
    url = f"/admin/articles/article/{article.pk}/delete/"
    client.force_login(editor)
    page = client.get(url)
    assert page.status_code == 200
    assert "<title>Cannot delete article" in page.content.decode()
    assert set(page.context["perms_lacking"]) == {
        "annotations (an annotated article can only be deleted by a superuser; unpublish it instead)"
    }
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()
    assert Annotation.objects.filter(pk=annotation.pk).exists()
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200 and not page.context["perms_lacking"] and not page.context["protected"]
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == "/admin/articles/article/"
    assert not Article.objects.filter(pk=article.pk).exists()
    assert not Annotation.objects.filter(pk=annotation.pk).exists()


def test_an_editor_can_delete_an_article(client, editor, make_article):
    """An article without annotations (a mistaken import, say); annotated ones need a superuser."""
    spare = make_article(slug="spare")
    client.force_login(editor)
    response = client.post(f"/admin/articles/article/{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Article.objects.filter(pk=spare.pk).exists()


def test_a_moderator_cannot_publish_an_authors_private_annotation(client, moderator, superuser, targets):
    private = targets["private"]
    url = f"/admin/annotations/annotation/{private.pk}/change/"
    form = scrape_form(client_for(superuser).get(url).content.decode())
    client.force_login(moderator)
    client.post(url, {**form, "visibility": "public"})
    assert not Annotation.objects.public().filter(pk=private.pk).exists()


# --------------------------------------------------------------------------- accounts


@pytest.mark.parametrize("persona", PERSONAS)
def test_logout_is_post_only_and_password_change_is_ones_own(persona, people, no_rate_limits):
    user = people[persona]
    client = client_for(user)
    assert client.get("/accounts/logout/").status_code == 405
    before = state()
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pass-phrase-42",
            "new_password2": "a-new-pass-phrase-42",
            "username": "other",
            "user": people["other_user"].pk,
        },
    )
    if user is None:
        assert is_login_redirect(response) and state() == before
    else:
        assert response.status_code == 302
        changed = [
            pk for (pk, new), (_, old) in zip(state()["passwords"], before["passwords"], strict=True) if new != old
        ]
        assert changed == [user.pk]  # one's own password only, whatever else is posted
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_cases(people, targets, article, make_article, superuser):
    """(who, url, data) for every POST endpoint, each posted by someone who may use it."""
    admin_form = scrape_form(
        client_for(superuser).get(f"/admin/annotations/annotation/{targets['public'].pk}/change/").content.decode()
    )
    article_form = scrape_form(
        client_for(superuser).get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    )
    spare = make_article(slug="spare")
    new_note = {**edit_data("Via CSRF."), "evidence-TOTAL_FORMS": "0"}
    return [
        (
            "other_user",
            f"/annotations/{targets['public'].pk}/flag/",
            {"reason": "spam"},
        ),  # before the edit re-queues it
        ("author", f"/articles/{article.slug}/p/k001/annotate/", new_note),
        ("author", f"/annotations/{targets['public'].pk}/edit/", edit_data("Edited via CSRF.")),
        ("author", f"/annotations/{targets['rejected'].pk}/delete/", {}),
        # (the bulk approval below takes the pending one)
        ("moderator", DECIDE, {"annotation": targets["hidden"].pk, "decision": "unhide"}),
        (
            "moderator",
            CHANGELIST,
            {"action": "bulk_approve", "_selected_action": [targets["pending"].pk], "apply": "1"},
        ),
        (
            "moderator",
            f"/admin/annotations/annotation/{targets['public'].pk}/change/",
            {**admin_form, "body": "Via CSRF."},
        ),
        ("superuser", f"/admin/annotations/annotation/{targets['theirs'].pk}/delete/", {"post": "yes"}),
        ("editor", f"/admin/articles/article/{article.pk}/change/", {**article_form, "title": "Via CSRF"}),
        ("editor", f"/admin/articles/article/{spare.pk}/delete/", {"post": "yes"}),
        (
            "author",
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-new-pass-phrase-42",
                "new_password2": "a-new-pass-phrase-42",
            },
        ),
        ("author", "/accounts/logout/", {}),
        (
            "anonymous",
            "/accounts/signup/",
            {
                "username": "csrf",
                "email": "csrf@example.org",
                "password1": "a-long-pass-phrase-42",
                "password2": "a-long-pass-phrase-42",
            },
        ),
        # (not the author: the password-change case above changes the author's password)
        ("anonymous", LOGIN, {"username": "other", "password": PASSWORD}),
    ]


def test_csrf_is_enforced_on_every_post_endpoint(people, csrf_cases, no_rate_limits, caplog):
    """Each POST without a token is refused by the CSRF check itself (its failure view and its log), not by a
    permission check that would also answer 403."""
    for who, url, data in csrf_cases:
        client = client_for(people[who], enforce_csrf_checks=True)
        before = state()
        caplog.clear()
        with caplog.at_level("WARNING", logger="django.security.csrf"):
            response = client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
        assert "CSRF verification failed. Request aborted." in response.content.decode(), url
        refusals = [r for r in caplog.records if r.name == "django.security.csrf"]
        assert [r.getMessage() for r in refusals] == [f"Forbidden (CSRF cookie not set.): {url}"], url
        assert state() == before, url
        if who != "anonymous":
            assert client.session.get("_auth_user_id") == str(people[who].pk), url  # still logged in


def test_with_the_token_the_same_posts_work(people, csrf_cases, no_rate_limits):
    """Control: the 403s above are the CSRF check, not something else."""
    for who, url, data in csrf_cases:
        client = client_for(people[who], enforce_csrf_checks=True)
        client.get(LOGIN)  # any page with a form sets the CSRF cookie
        token = client.cookies["csrftoken"].value
        before = state()
        response = client.post(url, {**data, "csrfmiddlewaretoken": token})
        # every one of them succeeds and redirects (a form re-shown with errors would be a 200)
        assert response.status_code == 302, (url, response.status_code)
        if url == LOGIN:
            assert client.session["_auth_user_id"] == str(people["other_user"].pk)
        elif url == "/accounts/logout/":
            assert "_auth_user_id" not in client.session
        else:
            assert state() != before, url  # the write happened


def test_read_only_endpoints_exempt_from_csrf_change_nothing(client, targets, article):
    client = Client(enforce_csrf_checks=True)
    before = state()
    for url in (f"/articles/{article.slug}/annotations/", f"/annotations/{targets['public'].pk}.jsonld"):
        for method in ("post", "put", "patch", "delete"):
            # the container takes POST, from an account: anonymous is 401 (annotations.views.protocol)
            expected = 401 if (method, url) == ("post", f"/articles/{article.slug}/annotations/") else 405
            assert getattr(client, method)(url).status_code == expected
    assert state() == before


# --------------------------------------------------------------------------- private annotations stay private

MARKS = {
    "private": "PRIVATEMARK",
    "private-check": "PRIVATECHECKMARK",
    "pending": "PENDINGMARK",
    "rejected": "REJECTEDMARK",
    "hidden": "HIDDENMARK",
}


@pytest.fixture
def secrets(article, make_annotation, author, set_text):
    set_text(article, "k001", "The minister said the budget grew by four percent last year.")
    public = make_annotation(article=article, author=author, body="Visible to all.", tags=["economy"])
    rows = {
        "private": make_annotation(
            article=article,
            author=author,
            body=f"{MARKS['private']} body",
            quote="the budget grew",
            visibility="private",
            tags=["secrettag"],
        ),
        "private-check": make_annotation(
            article=article,
            author=author,
            kind="fact_check",
            visibility="private",
            body=f"{MARKS['private-check']} body",
            claim=f"{MARKS['private-check']} claim",
            evidence=[{"url": "https://example.org/s", "title": f"{MARKS['private-check']} source"}],
            tags=["secrettag"],
        ),
        "pending": make_annotation(
            article=article, author=author, body=f"{MARKS['pending']} body", status="pending", tags=["pendingtag"]
        ),
        "rejected": make_annotation(
            article=article, author=author, body=f"{MARKS['rejected']} body", status="rejected"
        ),
        "hidden": make_annotation(article=article, author=author, body=f"{MARKS['hidden']} body", status="hidden"),
    }
    return public, rows


def public_surfaces(article, rows) -> list[str]:
    base = f"/articles/{article.slug}/"
    return [
        base,
        f"{base}?view=fact-checks",
        f"{base}?view=annotated",
        f"{base}?tag=secrettag",
        f"{base}?author=author",
        f"{base}?kind=fact_check",
        f"{base}?verdict=misleading",
        f"{base}feed/",
        "/fact-checks/feed/",
        f"{base}export.md",
        f"{base}annotations/",
        f"{base}annotations/?page=0",
        f"{base}annotations/?iris=1",
        "/tags/",
        "/tags/secrettag/",
        "/tags/pendingtag/",
        "/users/author/",
        *(f"/search/?q={mark}" for mark in MARKS.values()),
        "/search/?q=body",
        "/",
        *(f"/annotations/{a.pk}.jsonld" for a in rows.values()),
    ]


@pytest.mark.parametrize("persona", ["anonymous", "trusted", "other_user", "moderator", "editor", "superuser"])
def test_private_and_unpublished_annotations_never_reach_anyone_else(persona, people, article, secrets):
    public, rows = secrets
    client = client_for(people[persona])
    # 404: a tag used only on unpublished annotations, and the JSON-LD of each unpublished annotation
    missing = {"/tags/secrettag/", "/tags/pendingtag/", *(f"/annotations/{a.pk}.jsonld" for a in rows.values())}
    for url in public_surfaces(article, rows):
        response = client.get(url)
        assert response.status_code == (404 if url in missing else 200), (url, response.status_code)
        text = response.content.decode()
        if url.startswith("/search/?q=") and url != "/search/?q=body":
            assert "Annotations (0)" in text, url  # the query itself is shown back
            continue
        for mark in MARKS.values():
            assert mark not in text, (url, mark)
        # (a tag's own page: test_a_tag_used_only_privately_is_not_found; ?tag= is echoed in the login link)
        if (not url.startswith("/tags/") or url == "/tags/") and "tag=" not in url:
            assert "secrettag" not in text and "pendingtag" not in text, url
    for annotation in rows.values():
        for url in (
            f"/annotations/{annotation.pk}/",
            f"/annotations/{annotation.pk}.jsonld",
            f"/annotations/{annotation.pk}/flag/",
            f"/annotations/{annotation.pk}/edit/",
            f"/annotations/{annotation.pk}/delete/",
        ):
            response = client.get(url)
            if people[persona] is None and url.endswith(("/flag/", "/edit/", "/delete/")):
                assert is_login_redirect(response), (url, response.status_code)  # login_required answers first
            else:
                assert response.status_code == 404, (url, response.status_code)
    # counts: only the one public annotation anywhere
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert "1 published annotation" in page and "published annotations" not in page
    collection = json.loads(client.get(f"/articles/{article.slug}/annotations/").content)
    assert collection["total"] == 1
    tags = client.get("/tags/").content.decode()
    assert "economy" in tags and "secrettag" not in tags and "pendingtag" not in tags
    if people[persona] is not None:
        mine = client.get("/accounts/annotations/").content.decode()
        assert all(mark not in mine for mark in MARKS.values())


def test_the_author_sees_them_only_on_their_own_pages(client, author, article, secrets):
    public, rows = secrets
    client.force_login(author)
    page = client.get(f"/articles/{article.slug}/").content.decode()
    mine = client.get("/accounts/annotations/").content.decode()
    for mark in MARKS.values():
        assert mark in page and mark in mine
    for annotation in rows.values():
        assert client.get(f"/annotations/{annotation.pk}/").status_code == 200
    # public surfaces do not show them even to their author
    for url in public_surfaces(article, rows):
        if (
            url.startswith(f"/articles/{article.slug}/")
            and not url.endswith(("feed/", "export.md"))
            and "annotations/" not in url
        ):
            continue  # the article page is the author's own view
        text = client.get(url).content.decode()
        if url.startswith("/search/?q=") and url != "/search/?q=body":
            assert "Annotations (0)" in text, url
            continue
        for mark in MARKS.values():
            assert mark not in text, (url, mark)
    # the cached page of another member is not the author's page
    other = Client()
    other.force_login(get_user_model().objects.create_user("bystander", password=PASSWORD))
    assert all(mark not in other.get(f"/articles/{article.slug}/").content.decode() for mark in MARKS.values())


def test_the_tag_suggestions_do_not_leak_private_tags(client, other_user, article, secrets):
    client.force_login(other_user)
    form = client.get(f"/articles/{article.slug}/p/k002/annotate/").content.decode()
    datalist = re.search(r'<datalist id="tag-suggestions">(.*?)</datalist>', form, re.S).group(1)
    assert "economy" in datalist
    assert "secrettag" not in datalist and "pendingtag" not in datalist


def test_a_tag_used_only_privately_is_not_found(client, article, secrets):
    assert client.get("/tags/secrettag/").status_code == 404
