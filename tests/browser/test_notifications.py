"""Notices in a real browser (issue #15): a mention tells the mentioned once, with links that work; the e-mail's
unsubscribe link stops the next one; a moderator's approval of a reply tells the annotation's author once.

E-mail is captured where the outbox delivers it: queued in the transaction of its cause, delivered after the
commit by the job queue's task (eager in tests) to Django's test backend (``mail.outbox``); never sent directly.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from annotations.models import Annotation
from notifications.models import Delivery, Kind
from notifications.preferences import deliveries_for
from tests.browser.journeys import approve, create_note, key_containing, user

PARAGRAPH = "like a decade for the average company"


@pytest.fixture
def site_url(settings, live_server):
    settings.SITE_URL = live_server.url  # the links in e-mails point at the live server
    return live_server.url


def to(username: str, kind: str | None = None):
    address = f"{username}@example.com"
    return [message for message in mail.outbox if message.to == [address] and (kind is None or kind in message.subject)]


def link_after(body: str, label: str) -> str:
    return re.search(rf"{re.escape(label)}: (\S+)", body).group(1)


def admin_approve(page, live_url, annotation: Annotation, demo_passwords) -> None:
    page.goto(live_url("/admin/annotations/annotation/queue/"))
    if page.locator("#id_username").count():  # not logged in yet: the admin's login form, back to the queue
        page.locator("#id_username").fill("moderator")
        page.locator("#id_password").fill(demo_passwords["moderator"])
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").or_(page.locator("#login-form [type=submit]")).first.click()
    expect(page).to_have_url(re.compile(r"/admin/annotations/annotation/queue/$"))
    item = page.locator(f"#q-{annotation.pk}")
    item.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text(f"#{annotation.pk}: approve recorded")


def write_note_without_javascript(make_page, login, live_url, demo_data, demo_passwords, body: str) -> Annotation:
    page = make_page(java_script_enabled=False)
    login(page, "bob", demo_passwords["bob"])
    key = key_containing(demo_data, PARAGRAPH)
    page.goto(live_url(f"/articles/{demo_data.slug}/p/{key}/annotate/"))
    page.locator("textarea[name=body]").fill(body)
    page.locator("form.annotation-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    return Annotation.objects.filter(author__username="bob").latest("created_at")


def test_a_mention_tells_once_with_working_links_and_unsubscribe_stops_the_next(
    make_page, login, live_url, demo_data, demo_passwords, site_url, assert_no_serious_violations
):
    note = write_note_without_javascript(
        make_page, login, live_url, demo_data, demo_passwords, "Ask @alice, she read the original."
    )
    assert note.status == Annotation.Status.PENDING
    assert to("alice") == []  # nothing while it waits for a moderator

    moderator = make_page()
    admin_approve(moderator, live_url, note, demo_passwords)
    [notice] = to("alice")
    assert "bob mentioned you" in notice.subject
    assert len(to("alice")) == 1 and len(to("bob")) == 1  # bob: the approval notice, as before

    # the link in place works, and the mention there is a link to alice's page
    reader = make_page()
    in_place = link_after(notice.body, "Read it in place")
    assert in_place == f"{site_url}{demo_data.get_absolute_url()}#a-{note.pk}"
    reader.goto(in_place)
    card = reader.locator(f"#a-{note.pk}")
    expect(card).to_contain_text("she read the original")
    card.locator("a.mention", has_text="@alice").click()
    expect(reader).to_have_url(re.compile(r"/users/alice/$"))
    reader.goto(link_after(notice.body, "The note on its own"))
    expect(reader.locator("a.mention")).to_have_text("@alice")

    # one click from the e-mail, without logging in: a confirmation, then unsubscribed from mentions only
    stranger = make_page()
    stranger.goto(link_after(notice.body, f"- {Kind.MENTION.label}"))
    expect(stranger.locator("h1")).to_have_text("Unsubscribe from mentions of me (@username)?")
    assert_no_serious_violations(stranger)
    stranger.get_by_role("button", name="Unsubscribe").click()
    expect(stranger.locator("h1")).to_have_text("You are unsubscribed")
    assert deliveries_for(user("alice"))[Kind.MENTION] == Delivery.OFF
    assert deliveries_for(user("alice"))[Kind.REPLY] == Delivery.IMMEDIATE

    # the next mention is not sent
    again = write_note_without_javascript(make_page, login, live_url, demo_data, demo_passwords, "@alice again?")
    admin_approve(moderator, live_url, again, demo_passwords)
    assert len(to("alice")) == 1


def test_the_annotations_author_gets_one_e_mail_when_a_moderator_approves_a_reply(
    make_page, login, live_url, demo_data, demo_passwords, site_url
):
    note = create_note(demo_data)  # alice's
    approve(note)
    mail.outbox.clear()

    page = make_page(java_script_enabled=False)
    login(page, "bob", demo_passwords["bob"])
    page.goto(live_url(f"/annotations/{note.pk}/reply/"))
    page.locator("textarea[name=body]").fill("Where does the quote come from?")
    page.locator("form").filter(has=page.locator("textarea[name=body]")).locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("waiting for a moderator")
    reply = Annotation.objects.get(parent=note)
    assert reply.status == Annotation.Status.PENDING and to("alice") == []

    admin_approve(make_page(), live_url, reply, demo_passwords)
    [notice] = to("alice")
    assert "bob replied to your note" in notice.subject
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    reader = make_page()
    reader.goto(link_after(notice.body, "Read it in place"))
    expect(reader.locator(f"#a-{reply.pk}")).to_contain_text("Where does the quote come from?")
    response = reader.goto(link_after(notice.body, "The reply on its own"))
    assert response.status == 200
    expect(reader.locator("main")).to_contain_text("Where does the quote come from?")
    assert len(to("alice")) == 1


def test_the_settings_page_from_the_header(
    page, login, live_url, demo_data, demo_passwords, assert_no_serious_violations
):
    login(page, "alice", demo_passwords["alice"])
    page.get_by_role("link", name="e-mail notices").click()
    expect(page.locator("h1")).to_have_text("E-mail notifications")
    assert_no_serious_violations(page)
    page.get_by_role("group", name="Replies to my annotations").get_by_label("In a daily digest").check()
    page.get_by_role("group", name="Moderation decisions on my annotations").get_by_label("Never").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Your e-mail settings are saved.")
    assert deliveries_for(user("alice")) == {
        Kind.REPLY: Delivery.DIGEST,
        Kind.MENTION: Delivery.IMMEDIATE,
        Kind.MODERATION: Delivery.OFF,
    }
