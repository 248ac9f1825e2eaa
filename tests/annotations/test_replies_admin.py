"""Replies in the back office (issue #15): the queue's "replies" filter and thread context, one-click and bulk
decisions on replies with their log, "reply to" on a reply's page, the changelist filter, and a reply written
from the admin through the services."""

import re

import pytest

from annotations.models import Annotation, ModerationLog

pytestmark = pytest.mark.django_db

QUEUE = "/admin/annotations/annotation/queue/"
DECIDE = "/admin/annotations/annotation/decide/"
CHANGELIST = "/admin/annotations/annotation/"


@pytest.fixture
def check(article, make_annotation, make_user):
    return make_annotation(
        article=article, author=make_user("checker", groups=["annotators"]), kind="fact_check", body="The *check*."
    )


def test_replies_enter_the_queue_with_their_thread(client, moderator, check, make_reply, make_annotation, article):
    answer = make_reply(check, "Approved answer.")
    pending = make_reply(answer, "Waiting *reply*.", status="pending")
    other = make_annotation(article=article, status="pending", body="A pending note of the text.")
    client.force_login(moderator)
    page = client.get(QUEUE).content.decode()
    assert f'id="q-{pending.pk}"' in page and f'id="q-{other.pk}"' in page
    item = page[page.index(f'id="q-{pending.pk}"') :]
    item = item[: item.index("</article>")]
    assert f"Reply to #{answer.pk}" in item
    # the thread it answers, from the top: the fact-check, then the reply it answers
    assert item.index(f'id="q-{pending.pk}-t-{check.pk}"') < item.index(f'id="q-{pending.pk}-t-{answer.pk}"')
    assert "<em>check</em>" in item and "Approved answer." in item and "<em>reply</em>" in item
    # the filter: replies only
    only = client.get(QUEUE, {"replies": "1"}).content.decode()
    assert f'id="q-{pending.pk}"' in only and f'id="q-{other.pk}"' not in only


def test_queue_queries_do_not_grow_with_replies(client, moderator, check, make_reply, django_assert_num_queries):
    client.force_login(moderator)
    for n in range(3):
        make_reply(check, f"Pending {n}", status="pending")
    client.get(QUEUE)
    with django_assert_num_queries(len(_queries(client))) as few:
        client.get(QUEUE)
    for n in range(15):
        make_reply(make_reply(check, f"R{n}"), f"Deeper pending {n}", status="pending")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(QUEUE)


def _queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(QUEUE)
    return ctx.captured_queries


def test_approve_a_reply_from_the_queue_is_logged(client, moderator, check, make_reply):
    pending = make_reply(check, status="pending")
    client.force_login(moderator)
    response = client.post(
        DECIDE, {"annotation": pending.pk, "decision": "approve", "expected_status": "pending", "next": QUEUE}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "approved"
    assert ModerationLog.objects.filter(annotation=pending, action="approve", actor=moderator).exists()
    # readers see it under the fact-check now
    client.logout()
    assert f'id="a-{pending.pk}"' in client.get(check.article.get_absolute_url()).content.decode()


def test_bulk_actions_work_on_replies(client, moderator, check, make_reply):
    replies = [make_reply(check, f"R{n}", status="pending") for n in range(3)]
    client.force_login(moderator)
    response = client.post(
        CHANGELIST + "?thread=replies",
        {"action": "bulk_reject", "_selected_action": [r.pk for r in replies], "apply": "1", "reason": "Off topic."},
    )
    assert response.status_code == 302
    assert set(Annotation.objects.filter(pk__in=[r.pk for r in replies]).values_list("status", flat=True)) == {
        "rejected"
    }
    assert ModerationLog.objects.filter(action="reject", annotation__in=replies).count() == 3


def test_changelist_thread_filter(client, moderator, check, make_reply):
    reply = make_reply(check)
    client.force_login(moderator)
    rows = client.get(CHANGELIST, {"thread": "replies"}).content.decode()
    assert f"/admin/annotations/annotation/{reply.pk}/change/" in rows
    assert f"/admin/annotations/annotation/{check.pk}/change/" not in rows
    rows = client.get(CHANGELIST, {"thread": "annotations"}).content.decode()
    assert f"/admin/annotations/annotation/{check.pk}/change/" in rows
    assert f"/admin/annotations/annotation/{reply.pk}/change/" not in rows


def test_a_replys_page_shows_what_it_answers_read_only(client, moderator, check, make_reply):
    reply = make_reply(check)
    client.force_login(moderator)
    page = client.get(f"/admin/annotations/annotation/{reply.pk}/change/").content.decode()
    assert f'<a href="/admin/annotations/annotation/{check.pk}/change/">#{check.pk}</a>' in page
    assert 'name="parent"' not in page and 'name="verdict"' not in page and 'name="quote"' not in page
    assert "Reply to" in page or "reply to" in page


def test_a_moderator_replies_from_the_admin(client, moderator, check, django_capture_on_commit_callbacks):
    client.force_login(moderator)
    change = client.get(f"/admin/annotations/annotation/{check.pk}/change/").content.decode()
    url = f"/admin/annotations/annotation/{check.pk}/reply/"
    assert f'href="{url}"' in change
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "From the *desk*.", "tags": "desk"})
    reply = Annotation.objects.get(parent=check)
    assert response.status_code == 302 and response["Location"] == f"/admin/annotations/annotation/{reply.pk}/change/"
    # through the services: the policy publishes a moderator's note at once, and logs it
    assert reply.author == moderator and reply.status == "approved" and "<em>desk</em>" in reply.body_html
    assert ModerationLog.objects.filter(annotation=reply, action="create").exists()


def test_admin_reply_refusals(client, moderator, other_user, check, make_annotation, article):
    hidden = make_annotation(article=article, status="hidden")
    client.force_login(moderator)
    assert client.get(f"/admin/annotations/annotation/{hidden.pk}/reply/").status_code == 404
    assert client.get("/admin/annotations/annotation/99999/reply/").status_code == 404
    # someone who may not correct annotations in the admin
    client.force_login(other_user)
    response = client.post(f"/admin/annotations/annotation/{check.pk}/reply/", {"body": "x"})
    assert response.status_code in (302, 403)
    assert not Annotation.objects.filter(parent=check).exists()


def test_the_queue_shows_hostile_thread_text_inert(client, moderator, check, make_reply):
    Annotation.objects.filter(pk=check.pk).update(body_html="<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    make_reply(check, "<img src=x onerror=alert(1)>", status="pending")
    client.force_login(moderator)
    page = client.get(QUEUE).content.decode()
    assert "<img src=x" not in page and "<script>alert" not in page
    assert re.search(r"&lt;img src=x onerror=alert\(1\)&gt;|<p>&lt;img", page)


def test_an_editor_corrects_a_reply_in_the_admin(client, editor, check, make_reply):
    from tests.helpers import change_form_data

    reply = make_reply(check, "Teh typo.")
    client.force_login(editor)
    url = f"/admin/annotations/annotation/{reply.pk}/change/"
    data = change_form_data(client.get(url))
    data["body"] = "The typo, fixed."
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reply.refresh_from_db()
    assert reply.body == "The typo, fixed." and reply.parent_id == check.pk and reply.status == "approved"
    # a reply's form has no kind, verdict or quote: it cannot become a fact-check
    assert 'name="kind"' not in client.get(url).content.decode()
    data.update(kind="fact_check", verdict="false", quote="Paragraph", body="Sent with a kind.")
    assert client.post(url, data).status_code == 302
    reply.refresh_from_db()
    assert (reply.kind, reply.verdict, reply.quote, reply.body) == ("note", "", "", "Sent with a kind.")
