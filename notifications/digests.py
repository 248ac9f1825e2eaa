"""The daily digest: one e-mail a day per user, with every notice they chose to get that way.

``send_due_digests`` runs on the worker's beat once a day (``NOTIFICATIONS_DIGEST_HOUR``, the site's time
zone) and from ``manage.py send_digests``. Each user's digest is written in its own transaction: the waiting
items are locked, checked against the user's choices as they are now (a kind switched off since is dropped,
not sent), and the e-mail goes to the outbox with the key ``digest:<user>:<day>``, so a retried or repeated
run the same day sends nothing twice; what arrives after a day's digest waits for the next one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from notifications import preferences
from notifications.models import Delivery, DigestItem, OutgoingEmail
from notifications.notices import footer, greeting, signature
from notifications.services import queue_email

MAX_ITEMS = 100  # per digest; more wait for the next day's (the digest says so)


def waiting():
    return DigestItem.objects.filter(email__isnull=True, dropped_at__isnull=True)


def digest_key(user, day: dt.date) -> str:
    return f"digest:{user.pk}:{day.isoformat()}"


@transaction.atomic
def send_digest(*, user, day: dt.date | None = None) -> OutgoingEmail | None:
    """Queue ``user``'s digest for ``day`` (today by default); None when nothing is to be sent."""
    day = day or timezone.localdate()
    key = digest_key(user, day)
    if OutgoingEmail.objects.filter(key=key).exists():
        return None  # sent already today: a retried job, or a second run
    items = list(waiting().select_for_update().filter(user=user).order_by("created_at", "pk")[: MAX_ITEMS + 1])
    more = len(items) > MAX_ITEMS
    items = items[:MAX_ITEMS]
    choices = preferences.deliveries_for(user)
    reachable = user.is_active and bool(user.email)
    dropped = [item.pk for item in items if not reachable or choices[item.kind] == Delivery.OFF]
    kept = [item for item in items if item.pk not in dropped]
    if dropped:
        DigestItem.objects.filter(pk__in=dropped).update(dropped_at=timezone.now())
    if not kept:
        return None
    counts = Counter(item.kind for item in kept)
    kinds = [kind for kind in choices if counts[kind]]
    lines = [greeting(user), "", f"Your daily digest: {_count(len(kept))} since the last one.", ""]
    for item in kept:
        lines += [f"* {item.subject}", "", item.body, ""]
    if more:
        lines += ["More are waiting: they will come in the next digest.", ""]
    lines += [signature(), *footer(user, kinds, digest=True)]
    email = queue_email(
        to=user.email,
        subject=f"Your daily digest: {_count(len(kept))}",
        body="\n".join(lines),
        kind="digest",
        key=key,
        unsubscribe_url=preferences.unsubscribe_url(user, preferences.DIGEST),
    )
    DigestItem.objects.filter(pk__in=[item.pk for item in kept]).update(email=email)
    return email


def _count(n: int) -> str:
    return f"{n} notification" if n == 1 else f"{n} notifications"


def due_users():
    """Users with notices waiting (one query)."""
    ids = waiting().values_list("user_id", flat=True).distinct()
    return get_user_model().objects.filter(pk__in=ids).order_by("pk")


def send_due_digests(*, day: dt.date | None = None) -> dict[str, int]:
    """Queue today's digest of every user with notices waiting; returns counts (sent, nothing)."""
    counts = {"sent": 0, "nothing": 0}
    for user in due_users():
        counts["sent" if send_digest(user=user, day=day) is not None else "nothing"] += 1
    return counts
