"""The daily digest: one e-mail per user and day with what they chose to get that way, sent once, through the
outbox (eager job queue → ``mail.outbox``)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command

from notifications import digests, preferences, tasks
from notifications.models import Delivery, DigestItem, Kind, OutgoingEmail
from notifications.notices import notify_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 3)


@pytest.fixture
def ana(make_user):
    user = make_user("ana")
    preferences.set_deliveries(user=user, deliveries={"reply": Delivery.DIGEST, "mention": Delivery.DIGEST})
    return user


def tell(user, key, kind=Kind.REPLY, subject="bo replied to your note"):
    return notify_user(user=user, kind=kind, key=key, subject=subject, text=f"What {key} said.")


def test_one_digest_with_every_waiting_notice(django_capture_on_commit_callbacks, ana, settings):
    settings.SITE_URL = "https://fact.example"
    tell(ana, "reply:1")
    tell(ana, "mention:2:1", Kind.MENTION, subject="bo mentioned you")
    with django_capture_on_commit_callbacks(execute=True):
        email = digests.send_digest(user=ana, day=DAY)
    assert email.key == f"digest:{ana.pk}:2026-12-03" and email.kind == "digest"
    [message] = mail.outbox
    assert message.subject == "Your daily digest: 2 notifications"
    body = message.body
    assert body.index("* bo replied to your note") < body.index("What reply:1 said.") < body.index("* bo mentioned you")
    # a link per kind in it, and one for the whole digest, which is also the one-click header
    assert f"- {Kind.REPLY.label}: https://fact.example/notifications/unsubscribe/" in body
    assert f"- {Kind.MENTION.label}: https://fact.example/notifications/unsubscribe/" in body
    assert Kind.MODERATION.label not in body
    whole = body.split("- The whole daily digest: ")[1].split()[0]
    assert message.extra_headers["List-Unsubscribe"] == f"<{whole}>"
    assert set(DigestItem.objects.values_list("email", flat=True)) == {email.pk}


def test_a_repeated_or_retried_run_the_same_day_sends_nothing_twice(django_capture_on_commit_callbacks, ana):
    tell(ana, "reply:1")
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.send_due_digests(day=DAY) == {"sent": 1, "nothing": 0}
        tell(ana, "reply:2")  # arrives after today's digest
        assert digests.send_due_digests(day=DAY) == {"sent": 0, "nothing": 1}
    assert len(mail.outbox) == 1 and OutgoingEmail.objects.count() == 1
    assert DigestItem.objects.get(key="reply:2").email is None  # waits for tomorrow's
    with django_capture_on_commit_callbacks(execute=True):
        digests.send_due_digests(day=DAY + dt.timedelta(days=1))
    assert len(mail.outbox) == 2 and "What reply:2 said." in mail.outbox[1].body
    assert "What reply:1 said." not in mail.outbox[1].body


def test_a_kind_switched_off_before_the_digest_is_dropped(django_capture_on_commit_callbacks, ana):
    tell(ana, "reply:1")
    tell(ana, "mention:2:1", Kind.MENTION)
    preferences.set_deliveries(user=ana, deliveries={"reply": Delivery.OFF})
    with django_capture_on_commit_callbacks(execute=True):
        digests.send_digest(user=ana, day=DAY)
    [message] = mail.outbox
    assert "What mention:2:1 said." in message.body and "What reply:1 said." not in message.body
    assert DigestItem.objects.get(key="reply:1").dropped_at is not None


def test_nothing_left_nothing_sent(django_capture_on_commit_callbacks, ana):
    tell(ana, "reply:1")
    ana.is_active = False
    ana.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.send_digest(user=ana, day=DAY) is None
    assert mail.outbox == [] and OutgoingEmail.objects.count() == 0
    assert digests.waiting().count() == 0


def test_the_beat_task_and_its_schedule(django_capture_on_commit_callbacks, ana):
    entry = django_settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == tasks.send_digests.name == "notifications.send_digests"
    assert entry["schedule"] == crontab(minute=0, hour=django_settings.NOTIFICATIONS_DIGEST_HOUR)
    tell(ana, "reply:1")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_digests.delay()
        tasks.send_digests.delay()  # the job retried: the key per user and day holds
    assert len(mail.outbox) == 1


def test_the_command_sends_now_and_dry_run_sends_nothing(django_capture_on_commit_callbacks, ana, capsys):
    tell(ana, "reply:1")
    call_command("send_digests", "--dry-run")
    assert "ana: 1 waiting" in capsys.readouterr().out
    assert OutgoingEmail.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    assert "digests: sent 1" in capsys.readouterr().out
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("items", [1, 5])
def test_a_users_digest_costs_the_same_queries_whatever_its_length(items, ana, django_assert_num_queries):
    for n in range(items):
        tell(ana, f"reply:{n}")
    # the users waiting; then for the user: savepoint, today's key, the items (locked), the choices, the outbox
    # row (get_or_create: select, savepoint, insert, release), the items marked, release
    with django_assert_num_queries(11):
        digests.send_due_digests(day=DAY)


def test_superusers_see_the_waiting_notices_in_the_admin_others_do_not(client, ana, superuser, moderator):
    tell(ana, "reply:1", subject="bo replied to your note")
    url = "/admin/notifications/digestitem/"
    client.force_login(moderator)
    assert client.get(url).status_code == 403
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 200 and b"bo replied to your note" in response.content
    item = DigestItem.objects.get()
    assert client.post(f"{url}{item.pk}/change/", {"subject": "changed"}).status_code == 403
