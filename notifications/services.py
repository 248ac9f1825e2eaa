"""Queue, deliver and retry e-mail through the outbox (``OutgoingEmail``).

``queue_email`` is called inside the transaction of whatever causes the
e-mail; the row commits with it. After the commit the delivery is handed to
the job queue; if the queue cannot take it (broker down), nothing fails: the
row is pending and ``sweep`` (run every ``MAIL_RETRY_SECONDS`` by the
worker's beat, or by ``manage.py send_queued_mail``) picks it up.

``deliver`` claims the row with one conditional UPDATE (pending and due →
sending), sends it, and marks it sent; a failure puts it back to pending with
the error and an exponential back-off, and after ``MAIL_MAX_ATTEMPTS`` it is
given up ("failed", listed in the admin). Nothing here raises into a web
request: a person is never shown an error because mail failed.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import OutgoingEmail

logger = logging.getLogger("notifications")

Status = OutgoingEmail.Status

# While the broker is unreachable, web requests stop trying to publish for this many seconds
# (each try costs a connection timeout); the sweep delivers what was queued meanwhile.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def _setting(name: str, default):
    return getattr(settings, name, default)


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    key: str | None = None,
    sensitive: bool = False,
    unsubscribe_url: str = "",
):
    """Write an e-mail to the outbox (in the caller's transaction); deliver it after the commit.

    With a ``key`` already queued, nothing is written and None is returned: the
    same cause (a moderation decision, say) never e-mails twice. ``unsubscribe_url``
    becomes the message's one-click ``List-Unsubscribe`` (RFC 8058).
    """
    if not to:
        return None
    subject = " ".join(subject.split())[:255]
    fields = {
        "to": to,
        "subject": subject,
        "body": body,
        "kind": kind,
        "sensitive": sensitive,
        "unsubscribe_url": unsubscribe_url,
    }
    if key is not None:
        email, created = OutgoingEmail.objects.get_or_create(key=key, defaults=fields)
        if not created:
            return None
    else:
        email = OutgoingEmail.objects.create(**fields)
    transaction.on_commit(lambda: enqueue_delivery(email.pk))
    return email


def enqueue_delivery(pk: int) -> None:
    """Hand one delivery to the job queue; never raises (the sweep covers what could not be handed over)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    from notifications.tasks import deliver_email

    try:
        deliver_email.delay(pk)
    except Exception as exc:  # the broker is down or refused: the row stays pending for the sweep
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "job queue unreachable (%s: %s); e-mail %s waits for the outbox sweep", type(exc).__name__, exc, pk
        )


def message_id(email: OutgoingEmail) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{email.message_uuid}@{domain}>"


def headers(email: OutgoingEmail) -> dict[str, str]:
    found = {"Message-ID": message_id(email), "Auto-Submitted": "auto-generated"}
    if email.unsubscribe_url:
        # RFC 2369 + RFC 8058: mail clients offer "unsubscribe" and POST "List-Unsubscribe=One-Click" to it
        found["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        found["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return found


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the first, second, third … failure (capped at 6 hours)."""
    base = _setting("MAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver(pk: int) -> str:
    """Send one queued e-mail if it is pending and due. Returns what happened: sent, failed, retry, skipped."""
    now = timezone.now()
    claimed = OutgoingEmail.objects.filter(pk=pk, status=Status.PENDING, next_attempt_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"  # sent already, claimed by another worker, or not due yet
    email = OutgoingEmail.objects.get(pk=pk)
    message = EmailMessage(subject=email.subject, body=email.body, to=[email.to], headers=headers(email))
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP down, refused, timed out: retry later, never raise into the caller
        give_up = email.attempts >= _setting("MAIL_MAX_ATTEMPTS", 8)
        OutgoingEmail.objects.filter(pk=pk, status=Status.SENDING).update(
            status=Status.FAILED if give_up else Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=timezone.now() + retry_delay(email.attempts),
            claimed_at=None,
        )
        logger.warning(
            "e-mail %s (%s) attempt %s failed: %s: %s%s",
            pk,
            email.kind,
            email.attempts,
            type(exc).__name__,
            exc,
            "; given up" if give_up else "",
        )
        return "failed" if give_up else "retry"
    done = {"status": Status.SENT, "sent_at": timezone.now(), "claimed_at": None, "last_error": ""}
    if email.sensitive:
        done["body"] = ""
    OutgoingEmail.objects.filter(pk=pk).update(**done)
    return "sent"


def release_stale_claims() -> int:
    """Rows left "sending" by a worker that died mid-send go back to pending (after the lease)."""
    lease = timedelta(seconds=_setting("MAIL_SENDING_LEASE_SECONDS", 600))
    return OutgoingEmail.objects.filter(status=Status.SENDING, claimed_at__lt=timezone.now() - lease).update(
        status=Status.PENDING, claimed_at=None
    )


def due_ids(limit: int = 200) -> list[int]:
    return list(
        OutgoingEmail.objects.filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(*, limit: int = 200, inline: bool = False) -> dict[str, int]:
    """Deliver what is due: inline (one after the other, here) or by handing each to the job queue."""
    released = release_stale_claims()
    counts = {"released": released}
    for pk in due_ids(limit):
        if inline:
            outcome = deliver(pk)
            counts[outcome] = counts.get(outcome, 0) + 1
        else:
            enqueue_delivery(pk)
            counts["queued"] = counts.get("queued", 0) + 1
    return counts


def retry_now(queryset) -> int:
    """Admin action: make given-up or waiting e-mails due now (attempts are kept)."""
    pks = list(queryset.filter(status__in=[Status.PENDING, Status.FAILED]).values_list("pk", flat=True))
    OutgoingEmail.objects.filter(pk__in=pks).update(status=Status.PENDING, next_attempt_at=timezone.now())
    for pk in pks:
        transaction.on_commit(lambda pk=pk: enqueue_delivery(pk))
    return len(pks)
