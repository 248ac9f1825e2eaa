"""Per-kind choices (immediately, daily digest, never), the settings page, and the signed one-click unsubscribe.

E-mail is captured from the outbox's delivery (eager job queue → ``mail.outbox``), never a direct send.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from annotations.models import Annotation
from annotations.services import annotations as annotation_services
from annotations.services import moderation
from notifications import preferences
from notifications.models import Delivery, DigestItem, Kind, NotificationPreference, OutgoingEmail
from notifications.notices import notify_user

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/accounts/notifications/"


@pytest.fixture
def ana(make_user):
    return make_user("ana")


def tell(user, key="reply:1", kind=Kind.REPLY):
    return notify_user(user=user, kind=kind, key=key, subject="Someone replied", text="They said hello.")


def choose(user, **deliveries):
    preferences.set_deliveries(user=user, deliveries=deliveries)


def link_in(body: str, label: str) -> str:
    return re.search(rf"- {re.escape(label)}: (\S+)", body).group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- choices at queueing time --------------------------------------------------------------------------------


def test_by_default_a_notice_is_an_e_mail_with_its_unsubscribe_link_and_headers(
    django_capture_on_commit_callbacks, ana, settings
):
    settings.SITE_URL = "https://fact.example"
    with django_capture_on_commit_callbacks(execute=True):
        assert tell(ana) == "queued"
    [message] = mail.outbox
    assert message.to == ["ana@example.com"] and message.subject == "Someone replied"
    assert message.body.startswith("Hello ana,\n\nThey said hello.\n")
    url = link_in(message.body, Kind.REPLY.label)
    assert url.startswith("https://fact.example/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://fact.example/accounts/notifications/" in message.body
    assert preferences.read_token(url.rstrip("/").rsplit("/", 1)[1]).kind == Kind.REPLY


def test_off_sends_nothing_and_digest_collects(django_capture_on_commit_callbacks, ana):
    choose(ana, reply=Delivery.OFF, mention=Delivery.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        assert tell(ana, key="reply:1") == "off"
        assert tell(ana, key="mention:1:1", kind=Kind.MENTION) == "collected"
        assert tell(ana, key="mention:1:1", kind=Kind.MENTION) == "duplicate"
    assert mail.outbox == [] and OutgoingEmail.objects.count() == 0
    [item] = DigestItem.objects.all()
    assert (item.user, item.kind, item.key, item.email) == (ana, Kind.MENTION, "mention:1:1", None)


def test_a_cause_e_mailed_is_not_collected_later_either(django_capture_on_commit_callbacks, ana):
    with django_capture_on_commit_callbacks(execute=True):
        tell(ana, key="reply:9")
    choose(ana, reply=Delivery.DIGEST)
    assert tell(ana, key="reply:9") == "duplicate"
    assert DigestItem.objects.count() == 0


@pytest.mark.parametrize("change", [{"is_active": False}, {"email": ""}])
def test_unreachable_users_are_told_nothing(change, ana):
    for field, value in change.items():
        setattr(ana, field, value)
    ana.save()
    assert tell(ana) == "unreachable"
    assert OutgoingEmail.objects.count() == DigestItem.objects.count() == 0


def test_moderation_decisions_follow_the_authors_choice(django_capture_on_commit_callbacks, article, author, moderator):
    choose(author, moderation=Delivery.OFF)
    note = annotation_services.create_annotation(
        author=author, article=article, block_key=article.blocks.first().key, kind="note", body="A note."
    )
    assert note.status == Annotation.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=note, actor=moderator)
    assert mail.outbox == []
    choose(author, moderation=Delivery.IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hide(annotation=note, actor=moderator, reason="Checking a source.")
    [message] = mail.outbox
    assert "Reason: Checking a source." in message.body
    assert link_in(message.body, Kind.MODERATION.label)


# --- the unsubscribe link --------------------------------------------------------------------------------------


def unsubscribe_path(user, kind):
    return reverse("notification-unsubscribe", kwargs={"token": preferences.unsubscribe_token(user, kind)})


def test_get_asks_and_changes_nothing_post_unsubscribes_that_kind_only(ana):
    path = unsubscribe_path(ana, Kind.MENTION)
    response = Client().get(path)
    assert response.status_code == 200
    assert b"Unsubscribe from mentions of me" in response.content
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert NotificationPreference.objects.count() == 0
    response = Client().post(path)
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert preferences.deliveries_for(ana) == {
        Kind.REPLY: Delivery.IMMEDIATE,
        Kind.MENTION: Delivery.OFF,
        Kind.MODERATION: Delivery.IMMEDIATE,
    }
    assert Client().post(path).status_code == 200  # twice: nothing more to do, still a clear page


def test_rfc_8058_one_click_post_needs_no_session_and_no_csrf_token(django_capture_on_commit_callbacks, ana):
    with django_capture_on_commit_callbacks(execute=True):
        tell(ana)
    [message] = mail.outbox
    target = message.extra_headers["List-Unsubscribe"].strip("<>")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(target), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert preferences.delivery_for(ana, Kind.REPLY) == Delivery.OFF
    with django_capture_on_commit_callbacks(execute=True):
        assert tell(ana, key="reply:2") == "off"
    assert len(mail.outbox) == 1  # the next one is not sent


def test_the_digest_link_turns_off_what_comes_by_digest(ana):
    choose(ana, reply=Delivery.DIGEST, mention=Delivery.DIGEST)
    response = Client().post(unsubscribe_path(ana, preferences.DIGEST))
    assert response.status_code == 200
    assert preferences.deliveries_for(ana) == {
        Kind.REPLY: Delivery.OFF,
        Kind.MENTION: Delivery.OFF,
        Kind.MODERATION: Delivery.IMMEDIATE,
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "token, message",
    [
        ("tampered", b"not valid"),  # a character changed
        ("other salt", b"not valid"),  # signed by this site, but for something else
        ("not a token", b"not valid"),
        ("expired", b"has expired"),
        ("no such account", b"no longer exists"),
    ],
)
def test_bad_links_are_a_clear_400_and_change_nothing(method, token, message, ana, make_user, settings):
    good = preferences.unsubscribe_token(ana, Kind.REPLY)
    if token == "tampered":
        value = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    elif token == "other salt":
        value = signing.dumps({"u": ana.pk, "k": "reply"}, salt="something.else")
    elif token == "not a token":
        value = "hello"
    elif token == "expired":
        settings.NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE = -1
        value = good
    else:
        gone = make_user("gone")
        value = preferences.unsubscribe_token(gone, Kind.REPLY)
        gone.delete()
    response = getattr(Client(), method)(reverse("notification-unsubscribe", kwargs={"token": value}))
    assert response.status_code == 400
    assert message in response.content
    assert NotificationPreference.objects.count() == 0


def test_other_methods_are_refused(ana):
    assert Client().put(unsubscribe_path(ana, Kind.REPLY)).status_code == 405


# --- the settings page -----------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_needs_an_account():
    response = Client().get(SETTINGS_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post(SETTINGS_URL, {"reply": "off"}).status_code == 302
    assert NotificationPreference.objects.count() == 0


def test_the_page_shows_and_saves_the_choices(ana, django_assert_max_num_queries):
    client = logged_in(ana)
    choose(ana, mention=Delivery.DIGEST)
    with django_assert_max_num_queries(4):  # session, user, the user's choices, (the messages' none)
        response = client.get(SETTINGS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="mention"[^>]*value="digest"[^>]*checked', html)
    assert re.search(r'<input[^>]*name="reply"[^>]*value="immediate"[^>]*checked', html)
    assert "ana@example.com" in html
    response = client.post(SETTINGS_URL, {"reply": "digest", "mention": "off", "moderation": "immediate"})
    assert response.status_code == 302 and response["Location"] == SETTINGS_URL
    assert preferences.deliveries_for(ana) == {
        Kind.REPLY: Delivery.DIGEST,
        Kind.MENTION: Delivery.OFF,
        Kind.MODERATION: Delivery.IMMEDIATE,
    }
    assert b"Your e-mail settings are saved." in client.get(SETTINGS_URL).content


@pytest.mark.parametrize(
    "data",
    [
        {"reply": "sometimes", "mention": "off", "moderation": "off"},  # not a choice
        {"mention": "off", "moderation": "off"},  # missing
    ],
)
def test_bad_input_is_a_400_with_a_message_and_saves_nothing(data, ana):
    response = logged_in(ana).post(SETTINGS_URL, data)
    assert response.status_code == 400
    assert b"Choose" in response.content
    assert NotificationPreference.objects.count() == 0


def test_the_header_links_the_page(ana):
    assert f'href="{SETTINGS_URL}"'.encode() in logged_in(ana).get("/").content
