"""The moderation back office in the admin: who may do what, the queue, one-click and bulk
decisions, changelist filters, the index counts, the change page's history, query counts."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from annotations.admin.annotation import AnnotationAdmin
from annotations.admin.moderation import QUEUE_PAGE_SIZE as PAGE
from annotations.models import Annotation, Flag, ModerationLog
from articles.models import Article
from tests.factories import AnnotationFactory, FlagFactory
from tests.helpers import change_form_data

pytestmark = pytest.mark.django_db

QUEUE = "/admin/annotations/annotation/queue/"
DECIDE = "/admin/annotations/annotation/decide/"
CHANGELIST = "/admin/annotations/annotation/"
INDEX = "/admin/"
TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
MODERATION_ACTIONS = {"bulk_approve", "bulk_reject", "bulk_hide"}


def change_url(annotation):
    return f"/admin/annotations/annotation/{annotation.pk}/change/"


def article_change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def set_created(annotation, minutes_ago):
    """Put an annotation's creation ``minutes_ago`` in the past (the queue is oldest first)."""
    created = timezone.now() - dt.timedelta(minutes=minutes_ago)
    Annotation.objects.filter(pk=annotation.pk).update(created_at=created)
    annotation.created_at = created
    return annotation


def add_flag(annotation, reporter, reason="inaccurate", text=""):
    """An open flag written directly, ``open_flag_count`` kept in step as the service does (tests/factories.py)."""
    flag = FlagFactory(annotation=annotation, reporter=reporter, reason=reason, text=text)
    annotation.open_flag_count = flag.annotation.open_flag_count
    return annotation


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["trusted annotators"])


@pytest.fixture
def plain_staff(make_user):
    """Staff without any role: gets into the admin, may do nothing there."""
    return make_user("staff", staff=True)


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k001", TEXT)


# ---------------------------------------------------------------- the permission matrix

LOGIN = "sent to the admin login"
FORBIDDEN = "403"
OK = "allowed"
READ_ONLY = "read only"

NON_STAFF = dict.fromkeys(["queue", "decide", "changelist", "article_view", "article_change", "bulk_actions"], LOGIN)
EXPECTED = {
    "anonymous": NON_STAFF,
    "annotator": NON_STAFF,
    "trusted_annotator": NON_STAFF,
    "other_annotator": NON_STAFF,
    # staff without a role: in the admin, but every page here is refused
    "plain_staff": dict.fromkeys(NON_STAFF, FORBIDDEN),
    # moderators moderate annotations; articles they may only view
    "moderator": {
        "queue": OK,
        "decide": OK,
        "changelist": OK,
        "article_view": READ_ONLY,
        "article_change": FORBIDDEN,
        "bulk_actions": MODERATION_ACTIONS,
    },
    "editor": {
        "queue": OK,
        "decide": OK,
        "changelist": OK,
        "article_view": OK,
        "article_change": OK,
        "bulk_actions": MODERATION_ACTIONS,
    },
    "superuser": {
        "queue": OK,
        "decide": OK,
        "changelist": OK,
        "article_view": OK,
        "article_change": OK,
        "bulk_actions": MODERATION_ACTIONS | {"delete_selected"},  # only superusers delete annotations in bulk
    },
}
PERSONA_FIXTURES = {
    "annotator": "author",
    "trusted_annotator": "trusted",
    "other_annotator": "other_user",
    "plain_staff": "plain_staff",
    "moderator": "moderator",
    "editor": "editor",
    "superuser": "superuser",
}


def assert_login_redirect(response, url):
    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={url}")


def article_change_data(article, superuser):
    """POST data of the article's change page as served to a superuser, with a new title."""
    admin = Client()
    admin.force_login(superuser)
    data = change_form_data(admin.get(article_change_url(article)))
    data["title"] = "A title changed in the admin"
    return data


def check_queue(client, expected, pending, **_):
    response = client.get(QUEUE)
    if expected == LOGIN:
        return assert_login_redirect(response, QUEUE)
    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert [a.pk for a in response.context["annotations"]] == [pending.pk]


def check_decide(client, expected, pending, user, **_):
    response = client.post(
        DECIDE, {"annotation": pending.pk, "expected_status": "pending", "decision": "approve", "next": QUEUE}
    )
    pending.refresh_from_db()
    if expected == OK:
        assert response.status_code == 302 and response["Location"] == QUEUE
        assert pending.status == "approved" and pending.moderated_by == user
        assert ModerationLog.objects.filter(annotation=pending, action="approve", actor=user).count() == 1
        return
    if expected == LOGIN:
        assert_login_redirect(response, DECIDE)
    else:
        assert response.status_code == 403
    assert pending.status == "pending"
    assert not ModerationLog.objects.exists()


def check_changelist(client, expected, pending, **_):
    response = client.get(CHANGELIST)
    if expected == LOGIN:
        return assert_login_redirect(response, CHANGELIST)
    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert [a.pk for a in response.context["cl"].result_list] == [pending.pk]


def check_article_view(client, expected, article, **_):
    url = article_change_url(article)
    response = client.get(url)
    if expected == LOGIN:
        return assert_login_redirect(response, url)
    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert article.title in page
    if expected == READ_ONLY:
        assert not response.context["has_change_permission"]
        assert 'name="_save"' not in page
        assert "View article" in page
    else:
        assert response.context["has_change_permission"]
        assert 'name="_save"' in page


def check_article_change(client, expected, article, superuser, **_):
    url = article_change_url(article)
    data = article_change_data(article, superuser)
    original = article.title
    response = client.post(url, data)
    article.refresh_from_db()
    if expected == OK:
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        assert article.title == "A title changed in the admin"
        return
    if expected == LOGIN:
        assert_login_redirect(response, url)
    else:
        assert response.status_code == 403
    assert article.title == original


def check_bulk_actions(client, expected, **_):
    response = client.get(CHANGELIST)
    if expected == LOGIN:
        return assert_login_redirect(response, CHANGELIST)
    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    offered = {name for name, _ in response.context["action_form"].fields["action"].choices if name}
    assert offered == expected
    page = response.content.decode()
    for name in MODERATION_ACTIONS:
        assert f'value="{name}"' in page


CHECKS = {
    "queue": check_queue,
    "decide": check_decide,
    "changelist": check_changelist,
    "article_view": check_article_view,
    "article_change": check_article_change,
    "bulk_actions": check_bulk_actions,
}


@pytest.mark.parametrize("action", list(CHECKS))
@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(persona, action, request, client, article, make_annotation, superuser):
    user = None if persona == "anonymous" else request.getfixturevalue(PERSONA_FIXTURES[persona])
    if user is not None:
        client.force_login(user)
    pending = make_annotation(article=article, status="pending", author=request.getfixturevalue("author"))
    CHECKS[action](client, EXPECTED[persona][action], pending=pending, user=user, article=article, superuser=superuser)


def test_moderators_have_exactly_view_permission_on_articles(moderator, editor):
    assert moderator.has_perm("articles.view_article")
    for perm in ("add", "change", "delete"):
        assert not moderator.has_perm(f"articles.{perm}_article")
        assert not moderator.has_perm(f"articles.{perm}_block")
        assert editor.has_perm(f"articles.{perm}_article")
    assert moderator.has_perm("annotations.moderate_annotation")
    assert not moderator.has_perm("annotations.delete_annotation")
    assert not editor.has_perm("annotations.delete_annotation")


# ---------------------------------------------------------------- the queue


@pytest.fixture
def queue_items(article, paragraph, make_annotation, author, other_user, make_user):
    """A mix of annotations, created at known times; the queue shows four of them."""
    reader = make_user("reader", groups=["annotators"])
    items = {
        "pending_old": make_annotation(
            article=article,
            author=author,
            kind="fact_check",
            quote=QUOTE,
            verdict="false",
            status="pending",
            body="Oldest pending check.",
            tags=["budget"],
        ),
        "flagged_approved": make_annotation(
            article=article, author=other_user, status="approved", body="Flagged note."
        ),
        "pending_private": make_annotation(
            article=article, author=author, status="pending", visibility="private", body="Private."
        ),
        "approved": make_annotation(article=article, author=author, status="approved", body="Plain approved."),
        "rejected": make_annotation(article=article, author=author, status="rejected", body="Rejected."),
        "hidden": make_annotation(article=article, author=author, status="hidden", body="Hidden by a moderator."),
        "flag_hidden": make_annotation(article=article, author=author, status="hidden", body="Hidden by flags."),
        "pending_new": make_annotation(
            article=article, author=other_user, status="pending", body="Newest pending note."
        ),
    }
    for minutes, name in enumerate(reversed(list(items))):
        set_created(items[name], minutes_ago=10 * (minutes + 1))
    add_flag(items["flagged_approved"], reader, reason="inaccurate", text="The rise was 2.1 percent.")
    add_flag(items["flagged_approved"], author, reason="off_topic")
    add_flag(items["flag_hidden"], reader, reason="spam")
    return items


def test_queue_lists_pending_public_and_flagged_oldest_first(client, moderator, queue_items):
    client.force_login(moderator)
    response = client.get(QUEUE)
    assert response.status_code == 200
    expected = ["pending_old", "flagged_approved", "flag_hidden", "pending_new"]
    assert [a.pk for a in response.context["annotations"]] == [queue_items[name].pk for name in expected]
    assert response.context["next_after"] is None
    page = response.content.decode()
    for name in ("pending_private", "approved", "rejected", "hidden"):
        assert f'id="q-{queue_items[name].pk}"' not in page


def test_queue_shows_context_flags_and_one_click_forms(client, moderator, queue_items):
    client.force_login(moderator)
    page = client.get(QUEUE).content.decode()
    items = dict(re.findall(r'<article class="queue-item" id="q-(\d+)">(.*?)</article>', page, flags=re.S))
    check = items[str(queue_items["pending_old"].pk)]
    # the paragraph in context, the quote marked
    assert f"The minister said <mark>{QUOTE}</mark> last year" in check
    assert "Oldest pending check." in check and "False" in check and "budget" in check
    assert 'href="https://example.org/source"' in check  # evidence
    assert 'name="expected_status" value="pending"' in check
    assert 'name="decision" value="approve"' in check and 'name="decision" value="reject"' in check
    assert 'value="keep"' not in check
    flagged = items[str(queue_items["flagged_approved"].pk)]
    assert "2 open flags" in flagged
    assert "Inaccurate: “<bdi>The rise was 2.1 percent.</bdi>”" in flagged and "Off-topic" in flagged
    assert "(<bdi>reader</bdi>," in flagged  # who flagged
    assert 'name="expected_status" value="approved"' in flagged
    assert 'name="decision" value="keep"' in flagged and 'name="decision" value="hide_flagged"' in flagged
    assert 'value="approve"' not in flagged
    for item in items.values():
        assert f'action="{DECIDE}"' in item
        assert 'name="csrfmiddlewaretoken"' in item


def test_queue_is_paged_by_keyset(client, moderator, article, make_annotation):
    annotations = [
        set_created(make_annotation(article=article, status="pending"), minutes_ago=100 - i) for i in range(PAGE + 3)
    ]
    client.force_login(moderator)
    response = client.get(QUEUE)
    first = [a.pk for a in response.context["annotations"]]
    assert first == [a.pk for a in annotations[:PAGE]]
    assert response.context["next_after"] == annotations[PAGE - 1].pk
    assert f'href="?after={annotations[PAGE - 1].pk}"' in response.content.decode()
    response = client.get(f"{QUEUE}?after={annotations[PAGE - 1].pk}")
    assert [a.pk for a in response.context["annotations"]] == [a.pk for a in annotations[PAGE:]]
    assert response.context["next_after"] is None


def test_empty_queue(client, moderator, db):
    client.force_login(moderator)
    assert "The queue is empty." in client.get(QUEUE).content.decode()


def decide(client, annotation, decision, reason="", expected_status=None, next_url=QUEUE):
    data = {
        "annotation": annotation.pk,
        "expected_status": expected_status or annotation.status,
        "decision": decision,
        "reason": reason,
        "next": next_url,
    }
    return client.post(DECIDE, data, follow=True)


def test_approve_from_the_queue(client, moderator, queue_items):
    annotation = queue_items["pending_old"]
    client.force_login(moderator)
    response = decide(client, annotation, "approve")
    assert response.redirect_chain == [(QUEUE, 302)]
    assert f"#{annotation.pk}: approve recorded." in messages_of(response)
    annotation.refresh_from_db()
    assert (annotation.status, annotation.moderated_by) == ("approved", moderator)
    [log] = ModerationLog.objects.filter(annotation=annotation)
    assert (log.action, log.actor, log.from_status, log.to_status) == ("approve", moderator, "pending", "approved")
    assert annotation.pk not in [a.pk for a in response.context["annotations"]]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_reason_from_the_queue(reason, client, moderator, queue_items):
    annotation = queue_items["pending_old"]
    client.force_login(moderator)
    response = decide(client, annotation, "reject", reason=reason)
    assert any("Give a reason" in m for m in messages_of(response))
    assert response.context["messages"]._loaded_messages[0].level_tag == "error"
    annotation.refresh_from_db()
    assert annotation.status == "pending"
    assert not ModerationLog.objects.filter(annotation=annotation).exists()


def test_reject_with_reason_from_the_queue(client, moderator, queue_items):
    annotation = queue_items["pending_new"]
    client.force_login(moderator)
    decide(client, annotation, "reject", reason="Not about this paragraph.")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.moderation_reason) == ("rejected", "Not about this paragraph.")


def test_resolve_flags_from_the_queue(client, moderator, queue_items):
    kept, hidden = queue_items["flag_hidden"], queue_items["flagged_approved"]
    client.force_login(moderator)
    response = decide(client, kept, "keep")
    assert f"#{kept.pk}: keep recorded." in messages_of(response)
    response = decide(client, hidden, "hide_flagged", reason="Wrong figure, misleading.")
    assert f"#{hidden.pk}: hide flagged recorded." in messages_of(response)
    kept.refresh_from_db()
    hidden.refresh_from_db()
    assert (kept.status, kept.open_flag_count) == ("approved", 0)
    assert (hidden.status, hidden.open_flag_count, hidden.moderation_reason) == (
        "hidden",
        0,
        "Wrong figure, misleading.",
    )
    assert set(Flag.objects.filter(annotation=hidden).values_list("resolution", flat=True)) == {"hidden"}
    assert [a.pk for a in response.context["annotations"]] == [
        queue_items["pending_old"].pk,
        queue_items["pending_new"].pk,
    ]


def test_decide_from_the_change_page_returns_there(client, moderator, queue_items):
    annotation = queue_items["pending_new"]
    client.force_login(moderator)
    response = decide(client, annotation, "approve", next_url=change_url(annotation))
    assert response.redirect_chain == [(change_url(annotation), 302)]
    annotation.refresh_from_db()
    assert annotation.status == "approved"


def test_decide_refuses_get_and_missing_annotations(client, moderator, db):
    client.force_login(moderator)
    assert client.get(DECIDE).status_code == 405
    response = client.post(DECIDE, {"annotation": "999999", "decision": "approve"}, follow=True)
    assert "That annotation no longer exists." in messages_of(response)
    response = client.post(DECIDE, {"annotation": "nonsense", "decision": "approve"}, follow=True)
    assert "That annotation no longer exists." in messages_of(response)


def test_decide_ignores_an_offsite_next(client, moderator, queue_items):
    client.force_login(moderator)
    response = client.post(
        DECIDE,
        {"annotation": queue_items["pending_new"].pk, "decision": "approve", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == QUEUE


def test_decide_refuses_a_protocol_relative_next(client, moderator, queue_items):
    client.force_login(moderator)
    response = client.post(
        DECIDE, {"annotation": queue_items["pending_new"].pk, "decision": "approve", "next": "//evil.example.com/"}
    )
    assert response["Location"] == QUEUE


# ---------------------------------------------------------------- bulk actions


@pytest.fixture
def bulk_set(article, make_annotation, author, other_user):
    return {
        "pending1": make_annotation(article=article, author=author, status="pending", body="First pending."),
        "pending2": make_annotation(article=article, author=other_user, status="pending", body="Second pending."),
        "approved": make_annotation(article=article, author=author, status="approved", body="Approved."),
        "rejected": make_annotation(article=article, author=author, status="rejected", body="Rejected."),
    }


def bulk(client, action, annotations, **extra):
    data = {"action": action, "_selected_action": [str(a.pk) for a in annotations], "select_across": "0", **extra}
    return client.post(CHANGELIST, data, follow="apply" in extra)


BULK_CASES = [
    ("bulk_approve", ["pending1", "pending2"], ["approved", "rejected"], "approved"),
    ("bulk_reject", ["pending1", "pending2"], ["approved", "rejected"], "rejected"),
    ("bulk_hide", ["approved"], ["pending1", "rejected"], "hidden"),
]


@pytest.mark.parametrize(("action", "targets", "others", "end"), BULK_CASES)
def test_bulk_decision_first_asks_for_a_reason(action, targets, others, end, client, moderator, bulk_set):
    selected = [bulk_set[name] for name in targets + others]
    client.force_login(moderator)
    response = bulk(client, action, selected, index="0")
    assert response.status_code == 200
    page = response.content.decode()
    assert "give a reason" in page
    assert 'name="reason"' in page and 'name="apply"' in page
    assert f'name="action" value="{action}"' in page
    for annotation in selected:
        assert f'name="_selected_action" value="{annotation.pk}"' in page
    assert {a.status for a in Annotation.objects.all()} == {"pending", "approved", "rejected"}  # nothing yet
    assert not ModerationLog.objects.exists()


@pytest.mark.parametrize(("action", "targets", "others", "end"), BULK_CASES)
def test_bulk_decision_applies_with_the_reason(action, targets, others, end, client, moderator, bulk_set):
    selected = [bulk_set[name] for name in targets + others]
    client.force_login(moderator)
    response = bulk(client, action, selected, apply="1", reason="Checked by the desk.")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(CHANGELIST)
    messages = messages_of(response)
    assert (
        f"{action.removeprefix('bulk_').capitalize()}: {len(targets)} annotation{'s' if len(targets) > 1 else ''}."
        in messages
    )
    for name in targets:
        annotation = bulk_set[name]
        annotation.refresh_from_db()
        assert (annotation.status, annotation.moderated_by, annotation.moderation_reason) == (
            end,
            moderator,
            "Checked by the desk.",
        )
        assert ModerationLog.objects.filter(annotation=annotation, actor=moderator, to_status=end).count() == 1
    for name in others:  # in the wrong state: reported and left alone
        annotation = bulk_set[name]
        before = annotation.status
        annotation.refresh_from_db()
        assert annotation.status == before
        assert not ModerationLog.objects.filter(annotation=annotation).exists()
        assert any(m.startswith(f"#{annotation.pk}: ") and "cannot become" in m for m in messages), messages


@pytest.mark.parametrize("action", ["bulk_reject", "bulk_hide"])
def test_bulk_reject_and_hide_without_reason_change_nothing(action, client, moderator, bulk_set):
    client.force_login(moderator)
    response = bulk(client, action, list(bulk_set.values()), apply="1", reason="")
    messages = messages_of(response)
    assert any("Give a reason" in m for m in messages), messages
    assert not any(m.startswith(("Reject:", "Hide:")) for m in messages)
    assert not ModerationLog.objects.exists()
    assert sorted(Annotation.objects.values_list("status", flat=True)) == ["approved", "pending", "pending", "rejected"]


def test_bulk_actions_are_refused_to_annotators(client, author, bulk_set):
    client.force_login(author)
    response = client.post(
        CHANGELIST,
        {"action": "bulk_approve", "_selected_action": [str(bulk_set["pending1"].pk)], "apply": "1", "reason": "x"},
    )
    assert_login_redirect(response, CHANGELIST)
    bulk_set["pending1"].refresh_from_db()
    assert bulk_set["pending1"].status == "pending"


def test_delete_selected_cannot_be_forced_by_a_moderator(client, moderator, bulk_set, counts):
    before = counts()
    client.force_login(moderator)
    client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "_selected_action": [str(a.pk) for a in bulk_set.values()],
            "index": "0",
            "post": "yes",
        },
    )
    assert counts() == before


# ---------------------------------------------------------------- changelist filters


@pytest.fixture
def filter_set(article, make_annotation, author, other_user, make_user):
    reader = make_user("reader", groups=["annotators"])
    items = {
        "pending_note": make_annotation(
            article=article, author=author, status="pending", body="Pending zebra note.", tags=["public health"]
        ),
        "false_check": make_annotation(
            article=article,
            author=other_user,
            kind="fact_check",
            verdict="false",
            body="A false claim.",
            tags=["budget"],
        ),
        "pending_check": make_annotation(
            article=article,
            author=author,
            kind="fact_check",
            verdict="misleading",
            status="pending",
            body="Misleading.",
            tags=["budget", "public health"],
        ),
        "flagged": make_annotation(article=article, author=author, body="Flagged note."),
    }
    add_flag(items["flagged"], reader)
    return items


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=pending", {"pending_note", "pending_check"}),
        ("flagged=open", {"flagged"}),
        ("flagged=none", {"pending_note", "false_check", "pending_check"}),
        ("kind__exact=fact_check", {"false_check", "pending_check"}),
        ("verdict__exact=false", {"false_check"}),
        ("tag=public-health", {"pending_note", "pending_check"}),
        ("tag=budget", {"false_check", "pending_check"}),
        ("q=zebra", {"pending_note"}),
        ("q=budget", {"false_check", "pending_check"}),  # tag name, each annotation once
        ("status__exact=pending&kind__exact=fact_check", {"pending_check"}),
    ],
)
def test_changelist_filters(query, expected, client, moderator, filter_set):
    client.force_login(moderator)
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    pks = [a.pk for a in response.context["cl"].result_list]
    assert len(pks) == len(set(pks))
    assert set(pks) == {filter_set[name].pk for name in expected}


def test_changelist_offers_the_flag_and_tag_filters(client, moderator, filter_set):
    client.force_login(moderator)
    page = client.get(CHANGELIST).content.decode()
    assert "?flagged=open" in page and "With open flags" in page
    assert "?tag=public-health" in page and "?tag=budget" in page


# ---------------------------------------------------------------- the admin index


@pytest.mark.parametrize("persona", ["moderator", "editor", "superuser"])
def test_index_shows_pending_and_flagged_counts(persona, request, client, queue_items):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(INDEX).content.decode()
    summary = re.search(r'<div class="module" id="moderation-summary".*?</div>', page, flags=re.S).group(0)
    assert f'href="{QUEUE}"' in summary
    assert "2 pending</a>" in summary  # pending_old and pending_new; the private one is not moderated
    assert "2 with open flags</a>" in summary
    assert f'href="{CHANGELIST}?flagged=open"' in summary


def test_index_has_no_counts_for_staff_who_do_not_moderate(client, plain_staff, queue_items):
    client.force_login(plain_staff)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "moderation-summary" not in response.content.decode()


# ---------------------------------------------------------------- the annotation's change page


def inline_formset(response, model):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline
    return None


@pytest.mark.parametrize("persona", ["moderator", "editor", "superuser"])
def test_change_page_shows_history_flags_and_the_decision_form(
    persona, request, client, make_user, article, make_annotation, author, moderator
):
    from annotations.services import moderation

    readers = [make_user(f"reader{i}", groups=["annotators"]) for i in range(2)]
    annotation = make_annotation(article=article, author=author, status="pending", body="History note.")
    moderation.approve(annotation=annotation, actor=moderator, reason="Fine.")
    moderation.flag_annotation(annotation=annotation, reporter=readers[0], reason="abuse", text="Name-calling.")
    moderation.flag_annotation(annotation=annotation, reporter=readers[1], reason="spam")
    moderation.resolve_flags(annotation=annotation, actor=moderator, decision="keep", note="Robust, not abusive.")
    moderation.flag_annotation(annotation=annotation, reporter=make_user("reader9"), reason="off_topic")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(change_url(annotation))
    assert response.status_code == 200
    page = response.content.decode()
    decision = re.search(r'<div class="module aligned" id="moderation-decision">.*?</form>', page, flags=re.S).group(0)
    assert "1 open flag" in decision
    assert 'value="keep"' in decision and 'value="hide_flagged"' in decision
    assert f'name="next" value="{change_url(annotation)}"' in decision
    history = inline_formset(response, ModerationLog)
    assert history is not None, "no moderation history on the page"
    assert [(log.action, log.reason) for log in history.formset.queryset] == [
        ("approve", "Fine."),
        ("flags_kept", "Robust, not abusive."),
    ]
    assert "Moderation history" in page
    for text in ("Approved", "Flags resolved: kept", "Robust, not abusive."):
        assert text in page
    flags = inline_formset(response, Flag)
    assert flags is not None, "no reader flags on the page"
    assert flags.formset.queryset.count() == 3
    assert "Reader flags" in page
    for text in (
        "Abusive or harassing",
        "Name-calling.",
        "Spam",
        "Off-topic",
        "Kept (annotation stays)",
        "reader0",
        "reader9",
    ):
        assert text in page


def test_change_page_history_and_flags_cannot_be_edited(
    client, superuser, moderator, other_user, article, make_annotation, author
):
    from annotations.services import moderation

    annotation = make_annotation(article=article, author=author, status="pending")
    moderation.approve(annotation=annotation, actor=moderator)
    moderation.flag_annotation(annotation=annotation, reporter=other_user, reason="spam")
    client.force_login(superuser)
    response = client.get(change_url(annotation))
    for model in (ModerationLog, Flag):
        inline = inline_formset(response, model)
        assert not inline.has_add_permission and not inline.has_change_permission
        assert not inline.formset.can_delete
        assert len(inline.formset.forms) == 1
    page = response.content.decode()
    for prefix in ("moderation_log", "flags"):
        assert f'id="{prefix}-group"' in page
        assert f'name="{prefix}-0-reason"' not in page
        assert f'name="{prefix}-0-DELETE"' not in page


def test_no_decision_form_for_a_private_annotation(client, moderator, article, make_annotation):
    annotation = make_annotation(article=article, status="pending", visibility="private")
    client.force_login(moderator)
    page = client.get(change_url(annotation)).content.decode()
    assert "moderation-decision" not in page


# ---------------------------------------------------------------- query counts


def build(n, *, articles, users):
    """``n`` annotations, all in the queue: pending ones and approved ones with open flags, with tags and evidence."""
    for i in range(n):
        flagged = i % 3 == 2
        annotation = make_row(
            articles[i % 2],
            users[i % 2],
            i,
            kind="fact_check" if i % 2 else "note",
            status="approved" if flagged else "pending",
        )
        if flagged:
            add_flag(annotation, users[2], reason="inaccurate", text=f"Flag {i}")
            add_flag(annotation, users[3], reason="spam")


def make_row(article, author, i, *, kind, status):
    return AnnotationFactory(
        article=article,
        block=f"k00{i % 3 + 1}",
        author=author,
        kind=kind,
        status=status,
        body=f"Body {i}",
        tags=[f"tag {i % 4}", f"topic {i % 5}"],
        evidence=[
            {"url": f"https://example.org/{i}", "title": f"Source {i}"},
            {"url": f"https://example.org/{i}b", "title": f"Source {i}b"},
        ]
        if kind == "fact_check"
        else [],
    )


@pytest.fixture
def corpus(make_article, author, other_user, make_user):
    articles = [make_article(f"Article {i}", paragraphs=3) for i in range(2)]
    users = [author, other_user, make_user("flagger1"), make_user("flagger2")]
    return lambda n: build(n, articles=articles, users=users)


# The queue's queries, whatever the number of annotations (a keyset page of at most PAGE, no COUNT):
#   1. the session                      2. the user
#   3. the user's own permissions       4. the user's group permissions (can_moderate, then cached)
#   5. the page of annotations with article, block and author (LIMIT PAGE + 1)
#   6. their tags (tagged_items with select_related tag)
#   7. their evidence
#   8. their open flags with the reporter
#   9. annotations whose text changed under them (first page only; when there are any, 2 more:
#      the current paragraphs of their articles and those articles' revisions; see below)
QUEUE_QUERIES = 9


@pytest.mark.parametrize("n", [5, 60])
def test_queue_queries_do_not_grow(n, client, moderator, corpus, django_assert_num_queries):
    corpus(n)
    client.force_login(moderator)
    with django_assert_num_queries(QUEUE_QUERIES) as captured:
        response = client.get(QUEUE)
    assert response.status_code == 200
    assert len(response.context["annotations"]) == min(n, PAGE)
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    page = response.content.decode()
    assert page.count('class="queue-item"') == min(n, PAGE)
    assert "Source 1b" in page and "topic 1" in page and "Flag 2" in page


# Page 2 of the queue: the same, with the created_at of the 'after' annotation instead of the "text changed" list.
@pytest.mark.parametrize("n", [PAGE + 5, PAGE + 10])
def test_next_queue_page_queries_do_not_grow(n, client, moderator, corpus, django_assert_num_queries):
    corpus(n)
    client.force_login(moderator)
    after = client.get(QUEUE).context["next_after"]
    with django_assert_num_queries(QUEUE_QUERIES) as captured:
        response = client.get(f"{QUEUE}?after={after}")
    assert len(response.context["annotations"]) == n - PAGE
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


# The changelist's queries for a moderator, whatever the number of annotations (a page of at most list_per_page):
#   1. the session                       2. the user
#   3. the user's own permissions        4. the user's group permissions
#   5. TagFilter: the tags in use (choices cached for a few minutes)
#   6. ArticleFilter: the articles (a small table)
#   7. AuthorFilter: the people who have annotated (choices cached for a few minutes)
#   8. the paginator's COUNT (show_full_result_count=False: no second, unfiltered count)
#   9. the page of annotations with article, block and author (list_select_related)
#  10. their tags (prefetch of tagged_items with select_related tag)
CHANGELIST_QUERIES = 10


@pytest.mark.parametrize("n", [5, 60])
def test_changelist_queries_do_not_grow(n, client, moderator, corpus, django_assert_num_queries):
    corpus(n)
    client.force_login(moderator)
    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(n, AnnotationAdmin.list_per_page)
    assert response.content.decode().count('class="field-tag_names"') == min(n, AnnotationAdmin.list_per_page)


def test_article_is_unchanged_by_a_moderator_save(client, moderator, superuser, article):
    """Belt and braces for the matrix: a moderator's POST to the article leaves every field as it was."""
    before = Article.objects.values().get(pk=article.pk)
    client.force_login(moderator)
    response = client.post(article_change_url(article), {**article_change_data(article, superuser), "status": "draft"})
    assert response.status_code == 403
    assert Article.objects.values().get(pk=article.pk) == before
