"""Mail failing never fails a person: moderating and resetting a password with the mail server down
answer as usual over HTTP; the e-mails wait in the outbox; the admin lists them for superusers only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from annotations.models import Annotation, ModerationLog
from notifications import services
from notifications.models import OutgoingEmail

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
MAIL_DOWN = override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.DownBackend")
DECIDE = "/admin/annotations/annotation/decide/"
OUTBOX = "/admin/notifications/outgoingemail/"


@MAIL_DOWN
def test_moderating_with_mail_down_succeeds_and_the_email_waits(
    moderator, article, make_annotation, author, django_capture_on_commit_callbacks
):
    annotation = make_annotation(article=article, author=author, status=Annotation.Status.PENDING)
    client = Client(raise_request_exception=False)
    client.force_login(moderator)
    data = {"annotation": annotation.pk, "expected_status": "pending", "decision": "approve", "next": "/admin/"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DECIDE, data)
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert annotation.status == Annotation.Status.APPROVED
    [decision] = ModerationLog.objects.filter(annotation=annotation, action="approve")
    [email] = OutgoingEmail.objects.all()
    assert (email.to, email.kind, email.key) == (author.email, "moderation", f"moderation-log:{decision.pk}")
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in email.last_error
    # the server is back: the sweep sends it, once
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        services.sweep(inline=True)
        services.sweep(inline=True)
    assert [m.to for m in mail.outbox] == [[author.email]]
    assert "was approved and is now public" in mail.outbox[0].body


@MAIL_DOWN
def test_a_password_reset_with_mail_down_answers_as_usual(author, django_capture_on_commit_callbacks):
    client = Client(raise_request_exception=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": author.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    [email] = OutgoingEmail.objects.all()
    assert (email.kind, email.sensitive, email.status, email.to) == (
        "password_reset",
        True,
        Status.PENDING,
        author.email,
    )
    assert "/accounts/reset/" in email.body  # the link waits for the server; erased once sent
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        services.sweep(inline=True)
    email.refresh_from_db()
    assert email.status == Status.SENT and email.body == ""
    [message] = mail.outbox
    assert "/accounts/reset/" in message.body and message.to == [author.email]


def test_an_unknown_address_queues_nothing(db):
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert OutgoingEmail.objects.count() == 0


def test_the_outbox_admin_is_for_superusers_and_hides_secrets(superuser, moderator):
    services.queue_email(
        to="a@example.org", subject="Reset", body="secret-link-123", kind="password_reset", sensitive=True
    )
    services.queue_email(to="b@example.org", subject="Decision", body="visible body", kind="moderation")
    secret, plain = OutgoingEmail.objects.order_by("pk")
    client = Client()
    client.force_login(moderator)
    assert client.get(OUTBOX).status_code == 403
    assert client.get(f"{OUTBOX}{secret.pk}/change/").status_code == 403
    client.force_login(superuser)
    listing = client.get(OUTBOX)
    assert listing.status_code == 200
    assert "a@example.org" in listing.content.decode() and "b@example.org" in listing.content.decode()
    shown = client.get(f"{OUTBOX}{secret.pk}/change/").content.decode()
    assert "secret-link-123" not in shown and "it holds a secret link" in shown
    assert "visible body" in client.get(f"{OUTBOX}{plain.pk}/change/").content.decode()
    assert client.get(f"{OUTBOX}add/").status_code == 403
    assert client.post(f"{OUTBOX}{plain.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingEmail.objects.count() == 2


def test_retry_now_from_the_admin(superuser, django_capture_on_commit_callbacks):
    with MAIL_DOWN, django_capture_on_commit_callbacks(execute=True):
        services.queue_email(to="a@example.org", subject="Decision", body="x", kind="moderation")
    email = OutgoingEmail.objects.get()
    OutgoingEmail.objects.update(status=Status.FAILED)
    client = Client()
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(OUTBOX, {"action": "retry_selected", "_selected_action": [email.pk]}, follow=True)
    assert "1 e-mail(s) will be retried now." in response.content.decode()
    email.refresh_from_db()
    assert email.status == Status.SENT and len(mail.outbox) == 1


def test_users_are_not_touched_by_the_outbox(author):
    # the outbox keeps addresses, not accounts: deleting a user keeps the record of what was sent
    services.queue_email(to=author.email, subject="x", body="y", kind="moderation")
    get_user_model().objects.filter(pk=author.pk).delete()
    assert OutgoingEmail.objects.filter(to=author.email).exists()
