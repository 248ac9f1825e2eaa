"""The outbox (notifications/): e-mail written with what causes it, delivered after the commit, retried
while the mail server is down, never sent twice, never an error for the person whose action caused it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from notifications import services
from notifications.models import OutgoingEmail
from tests.notifications import failing_backend

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
MAIL_DOWN = override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.DownBackend")


def queue(**overrides) -> OutgoingEmail | None:
    fields = {"to": "author@example.org", "subject": "Your note was approved", "body": "Hello", "kind": "test"}
    return services.queue_email(**{**fields, **overrides})


def test_queued_in_the_transaction_and_delivered_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            email = queue()
            assert OutgoingEmail.objects.get().status == Status.PENDING
            assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 1, "")
    assert email.sent_at is not None
    [message] = mail.outbox
    assert message.to == ["author@example.org"] and message.subject == "Your note was approved"
    assert message.extra_headers["Message-ID"] == f"<{email.message_uuid}@localhost>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_rolled_back_cause_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            queue()
            raise RuntimeError("the decision failed")
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_the_same_cause_queues_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(key="moderation-log:7")
        second = queue(key="moderation-log:7")
    assert first is not None and second is None
    assert OutgoingEmail.objects.count() == 1 and len(mail.outbox) == 1


def test_no_address_no_email():
    assert queue(to="") is None
    assert OutgoingEmail.objects.count() == 0


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = queue()
    assert services.deliver(email.pk) == "sent"
    assert services.deliver(email.pk) == "skipped"
    assert services.sweep(inline=True) == {"released": 0}
    assert len(mail.outbox) == 1


def test_a_claimed_row_is_not_sent_by_another_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = queue()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, claimed_at=timezone.now())
    assert services.deliver(email.pk) == "skipped"
    assert services.sweep(inline=True) == {"released": 0}  # the lease has not run out
    assert mail.outbox == []


@MAIL_DOWN
def test_mail_down_keeps_the_row_pending_with_its_error_and_backs_off(django_capture_on_commit_callbacks):
    failing_backend.attempts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()  # delivery runs after the commit and fails: nothing raises
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert email.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)  # one minute back-off
    assert services.sweep(inline=True) == {"released": 0}  # not due yet: no second attempt
    assert len(failing_backend.attempts) == 1

    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert services.sweep(inline=True) == {"released": 0, "retry": 1}
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=110)  # doubled
    # the same Message-ID on every attempt
    assert failing_backend.attempts == [f"<{email.message_uuid}@localhost>"] * 2


def test_mail_back_up_delivers_the_waiting_rows_exactly_once(django_capture_on_commit_callbacks):
    with MAIL_DOWN, django_capture_on_commit_callbacks(execute=True):
        emails = [queue(subject=f"Decision {n}") for n in range(3)]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {Status.PENDING}
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    out = __import__("io").StringIO()
    call_command("send_queued_mail", stdout=out)
    assert out.getvalue().strip() == "outbox: released 0, sent 3"
    call_command("send_queued_mail", stdout=out)
    assert sorted(m.subject for m in mail.outbox) == ["Decision 0", "Decision 1", "Decision 2"]
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {f"<{e.message_uuid}@localhost>" for e in emails}


@MAIL_DOWN
@override_settings(MAIL_MAX_ATTEMPTS=2)
def test_given_up_after_the_last_attempt_and_retried_by_hand(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    assert services.sweep(inline=True) == {"released": 0, "failed": 1}
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 2)
    assert services.sweep(inline=True) == {"released": 0}  # given up: the sweep leaves it
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.retry_now(OutgoingEmail.objects.all()) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 3)
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_send_is_released_after_the_lease(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = queue()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert services.sweep(inline=True) == {"released": 1, "sent": 1}
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_secret_is_erased_once_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(body="https://example.org/reset/abc/123/", sensitive=True, kind="password_reset")
    email.refresh_from_db()
    assert email.status == Status.SENT and email.body == ""
    assert "reset/abc/123" in mail.outbox[0].body


def test_a_broker_that_is_down_costs_one_try_then_the_sweep_delivers(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from notifications import tasks

    calls = []

    def refuse(pk):
        calls.append(pk)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(tasks.deliver_email, "delay", refuse)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(subject="One")
        second = queue(subject="Two")
    # both rows wait; one publish was tried, then the web process stops trying for a while
    assert calls == [first.pk]
    assert "job queue unreachable" in caplog.text
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {Status.PENDING}
    monkeypatch.undo()
    assert services.sweep(inline=True) == {"released": 0, "sent": 2}
    assert sorted(m.subject for m in mail.outbox) == ["One", "Two"]
    assert second.pk != first.pk
