"""Telling a person something, the way they chose: one e-mail now, a line in tomorrow's digest, or nothing.

``notify_user`` is what the apps above call (in the transaction of the cause,
like ``queue_email``). It reads the user's choice for the kind when the
notice is queued; an immediate e-mail goes to the outbox with the kind's
signed unsubscribe link in its text and in its ``List-Unsubscribe`` header; a
digest notice waits as a ``DigestItem`` for ``notifications.digests``.

``key`` names the cause (``reply:<id>``, ``mention:<id>:<user>``, ``moderation-log:<id>``): a cause that
was e-mailed or collected already, either way, is never told again.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from notifications import preferences
from notifications.models import Delivery, DigestItem, Kind, OutgoingEmail
from notifications.services import queue_email

QUEUED, COLLECTED, OFF, DUPLICATE, UNREACHABLE = "queued", "collected", "off", "duplicate", "unreachable"


def settings_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('notification-settings')}"


def greeting(user) -> str:
    return f"Hello {user.get_username()},"


def signature() -> str:
    return f"— {settings.SITE_NAME}"


def footer(user, kinds: list[str], *, digest: bool = False) -> list[str]:
    """The lines that end every notice e-mail: why it came, and how to stop it (a link per kind)."""
    lines = ["", "-- ", "Stop these e-mails with one click (no login needed):"]
    for kind in kinds:
        lines.append(f"- {Kind(kind).label}: {preferences.unsubscribe_url(user, kind)}")
    if digest:
        lines.append(f"- The whole daily digest: {preferences.unsubscribe_url(user, preferences.DIGEST)}")
    lines.append(f"Choose what we send you, and how often: {settings_url()}")
    return lines


def notify_user(*, user, kind: str, key: str, subject: str, text: str) -> str:
    """Tell ``user`` about something of ``kind`` (``text``: what happened, with its links). Returns what was done.

    In the caller's transaction. Never raises for the person whose action caused it: an inactive account, one
    without an address, a kind switched off or a cause told already just tell no one.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown kind: {kind!r}")
    if user is None or not user.is_active or not user.email:
        return UNREACHABLE
    if OutgoingEmail.objects.filter(key=key).exists() or DigestItem.objects.filter(key=key).exists():
        return DUPLICATE
    delivery = preferences.delivery_for(user, kind)
    if delivery == Delivery.OFF:
        return OFF
    subject = " ".join(subject.split())[:255]
    if delivery == Delivery.DIGEST:
        _, created = DigestItem.objects.get_or_create(
            key=key, defaults={"user": user, "kind": kind, "subject": subject, "body": text}
        )
        return COLLECTED if created else DUPLICATE
    body = "\n".join([greeting(user), "", text, "", signature(), *footer(user, [kind])])
    email = queue_email(
        to=user.email,
        subject=subject,
        body=body,
        kind=kind,
        key=key,
        unsubscribe_url=preferences.unsubscribe_url(user, kind),
    )
    return QUEUED if email is not None else DUPLICATE
