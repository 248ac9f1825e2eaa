"""The outbox: every e-mail the site sends is first a row, written in the transaction of what caused it.

A moderation decision and the e-mail telling its author commit together or
not at all; delivery happens after the commit, on the job queue
(``notifications/tasks.py``), and survives an SMTP server that is down: a
failed attempt leaves the row pending with its error and the time of the next
attempt, and the periodic sweep retries it. A row is claimed by one
conditional UPDATE before it is sent, so two workers never send it twice;
its ``Message-ID`` is fixed when it is queued, so even a resend after a worker
died mid-send is recognisably the same message.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"
        FAILED = "failed", "given up"

    kind = models.CharField(max_length=40, help_text="What the e-mail is about (moderation, password_reset, …).")
    key = models.CharField(
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        help_text="Identifies what caused the e-mail, so the same cause never queues it twice.",
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    unsubscribe_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="The one-click unsubscribe link of its kind (List-Unsubscribe header); blank when there is none.",
    )
    sensitive = models.BooleanField(
        default=False, help_text="Holds a secret (a password reset link): never shown, and erased once sent."
    )
    message_uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outgoing e-mail"
        verbose_name_plural = "outgoing e-mails"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display_name()} to {self.to} ({self.get_status_display()})"

    def get_kind_display_name(self) -> str:
        return self.kind.replace("_", " ")


class Kind(models.TextChoices):
    """What people are told about, each with its own choice of delivery (and its own unsubscribe link)."""

    REPLY = "reply", "Replies to my annotations"
    MENTION = "mention", "Mentions of me (@username)"
    MODERATION = "moderation", "Moderation decisions on my annotations"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately, one e-mail each"
    DIGEST = "digest", "In a daily digest"
    OFF = "off", "Never"


DEFAULT_DELIVERY = Delivery.IMMEDIATE


class NotificationPreference(models.Model):
    """How one user wants one kind of notice delivered. No row: the default (``DEFAULT_DELIVERY``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=DEFAULT_DELIVERY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            # one choice per user and kind; also the index of "this user's choices" (the settings page, queueing)
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_delivery_display()}"


class DigestItem(models.Model):
    """A notice waiting for its user's daily digest (they chose "daily digest" for its kind).

    ``key`` is the notice's cause (the same as an immediate e-mail's), so a cause is collected once. ``email``
    is the digest that carried it; NULL while it waits.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    email = models.ForeignKey(
        OutgoingEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="digest_items"
    )
    dropped_at = models.DateTimeField(
        null=True, blank=True, help_text="Not sent: its kind was switched off before the digest went out."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # the digest run: who has items waiting, and each one's items in order
            models.Index(
                fields=["user", "created_at"],
                name="digest_waiting_idx",
                condition=models.Q(email__isnull=True, dropped_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.user_id}: {self.subject}"
