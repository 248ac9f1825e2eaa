"""Who wants to be told what, and how: per user and per kind, immediately, in a daily digest, or never.

Read when a notice is queued (``notifications.services.notify_user``) and again
when a digest is sent, so a change applies to what has not left yet.

Unsubscribing needs no login: each e-mail carries a signed link per kind
(``django.core.signing``, salted, timestamped; ``NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE``
seconds), which turns that kind off for the user it was made for. The same
link is the message's RFC 8058 ``List-Unsubscribe`` target (one-click POST).
The digest's link, kind ``digest``, turns off every kind the user gets by digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse

from notifications.models import DEFAULT_DELIVERY, Delivery, Kind, NotificationPreference

SALT = "notifications.unsubscribe"
DIGEST = "digest"  # the digest's own link: every kind delivered by digest
TOKEN_KINDS = {*Kind.values, DIGEST}


def max_age() -> int:
    return int(getattr(settings, "NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE", 180 * 24 * 3600))


def delivery_for(user, kind: str) -> str:
    """The user's choice for ``kind`` (one query), or the default."""
    found = NotificationPreference.objects.filter(user=user, kind=kind).values_list("delivery", flat=True).first()
    return found or DEFAULT_DELIVERY


def deliveries_for(user) -> dict[str, str]:
    """Every kind's delivery for the user (one query): ``{"reply": "immediate", …}``."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in Kind.values}


@transaction.atomic
def set_deliveries(*, user, deliveries: dict[str, str]) -> list[str]:
    """Store the user's choices; returns the kinds that changed. Unknown kinds or deliveries raise ValueError."""
    for kind, delivery in deliveries.items():
        if kind not in Kind.values or delivery not in Delivery.values:
            raise ValueError(f"unknown kind or delivery: {kind!r}, {delivery!r}")
    current = deliveries_for(user)
    changed = [kind for kind, delivery in deliveries.items() if current[kind] != delivery]
    for kind in changed:
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": deliveries[kind]})
    return changed


# --- signed unsubscribe links ----------------------------------------------------------------------------------


def unsubscribe_token(user, kind: str) -> str:
    if kind not in TOKEN_KINDS:
        raise ValueError(f"unknown kind: {kind!r}")
    return signing.dumps({"u": user.pk, "k": kind}, salt=SALT, compress=False)


def unsubscribe_url(user, kind: str) -> str:
    """The absolute one-click link that turns ``kind`` off for ``user`` (no login needed)."""
    path = reverse("notification-unsubscribe", kwargs={"token": unsubscribe_token(user, kind)})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


class BadToken(Exception):
    """The link was altered, is not one of ours, is too old, or its account is gone."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Unsubscription:
    user: object
    kind: str

    @property
    def kinds(self) -> list[str]:
        """The kinds the link turns off (for the digest's link: those the user gets by digest now)."""
        if self.kind != DIGEST:
            return [self.kind]
        return [kind for kind, delivery in deliveries_for(self.user).items() if delivery == Delivery.DIGEST]

    @property
    def label(self) -> str:
        if self.kind == DIGEST:
            return "the daily digest"
        return Kind(self.kind).label.lower()


def read_token(token: str) -> Unsubscription:
    """The user and kind a link was made for. Raises BadToken."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise BadToken("This unsubscribe link has expired.", expired=True) from exc
    except signing.BadSignature as exc:
        raise BadToken("This unsubscribe link is not valid: it may have been cut or altered.") from exc
    if not isinstance(data, dict) or data.get("k") not in TOKEN_KINDS or not isinstance(data.get("u"), int):
        raise BadToken("This unsubscribe link is not valid.")
    user = get_user_model().objects.filter(pk=data["u"]).first()
    if user is None:
        raise BadToken("This unsubscribe link's account no longer exists.")
    return Unsubscription(user=user, kind=data["k"])


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[Unsubscription, list[str]]:
    """Turn off what a signed link names; returns it and the kinds turned off. Raises BadToken.

    Idempotent: a second click (or the mail client's one-click POST after the person's) changes nothing.
    """
    subscription = read_token(token)
    kinds = subscription.kinds
    set_deliveries(user=subscription.user, deliveries={kind: Delivery.OFF for kind in kinds})
    return subscription, kinds
