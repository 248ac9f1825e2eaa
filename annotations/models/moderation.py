"""The moderation record: the append-only log of every status change, and readers' flags."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from accounts.text import no_control_characters
from annotations.models.annotation import Annotation


class ModerationLog(models.Model):
    """Append-only record of every status change of an annotation.

    Rows are written by ``annotations.services.moderation.transition`` and never
    changed or deleted (``save`` refuses updates; the admin shows them
    read-only). The annotation id is kept even after its author deletes it.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        HIDE = "hide", "Hidden"
        UNHIDE = "unhide", "Restored"
        RESUBMIT = "resubmit", "Edited by the author (back to review)"
        FLAG_HIDE = "flag_hide", "Hidden by reader flags"
        FLAGS_KEPT = "flags_kept", "Flags resolved: kept"
        FLAGS_HIDDEN = "flags_hidden", "Flags resolved: hidden"
        REANCHORED = "reanchored", "Re-anchored after a revision"
        NEEDS_REANCHOR = "needs_reanchor", "Needs re-anchoring after a revision"
        ORPHANED = "orphaned", "Orphaned by a revision"
        REATTACHED = "reattached", "Re-attached by a moderator"
        ANCHOR_CONFIRMED = "anchor_confirmed", "Confirmed still valid after a revision"
        ORPHAN_CONFIRMED = "orphan_confirmed", "Confirmed as orphaned by a moderator"

    annotation = models.ForeignKey(Annotation, on_delete=models.SET_NULL, null=True, related_name="moderation_log")
    annotation_ref = models.PositiveBigIntegerField(help_text="The annotation's id, kept if it is deleted.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for automatic changes (such as hiding after reader flags).",
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=10, choices=Annotation.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Annotation.Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "moderation log entry"
        verbose_name_plural = "moderation log"
        indexes = [
            # an annotation's history, in order
            models.Index(fields=["annotation_ref", "created_at"], name="modlog_annotation_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor.get_username() if self.actor_id else "system"
        return f"#{self.annotation_ref}: {self.from_status or '-'} → {self.to_status} by {who}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Moderation log entries are append-only.")
        super().save(*args, **kwargs)


class Flag(models.Model):
    """A reader's report that an annotation should not stand."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abusive or harassing"
        INACCURATE = "inaccurate", "Inaccurate"
        OFF_TOPIC = "off_topic", "Off-topic"
        OTHER = "other", "Other"

    class Resolution(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept (annotation stays)"
        HIDDEN = "hidden", "Annotation hidden"

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    text = models.TextField("details", blank=True, validators=[MaxLengthValidator(1000), no_control_characters])
    resolution = models.CharField(max_length=8, choices=Resolution.choices, default=Resolution.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "reporter"], name="flag_once_per_reader"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(text=""), name="flag_other_has_text"),
        ]
        indexes = [
            # open flags of an annotation (threshold, queue)
            models.Index(fields=["annotation", "resolution"], name="flag_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} flag on #{self.annotation_id}"
