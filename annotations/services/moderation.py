"""The moderation workflow: every status change goes through ``transition``.

States: pending → approved | rejected; approved → hidden → approved; an
author's edit sends an approved annotation back to pending (see ``policy``).
``transition`` locks the row, refuses a stale decision (the status the
moderator saw is no longer the status), checks the actor may make it, writes
the append-only log row, stores the reason shown to the author, e-mails the
author, and invalidates what readers see.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.text import no_control_characters
from annotations.caching import bump_article
from annotations.models import Annotation, Flag, ModerationLog
from annotations.services import notify

Status = Annotation.Status
Action = ModerationLog.Action

# (from, to) -> the action it is; anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.PENDING, Status.APPROVED): Action.APPROVE,
    (Status.PENDING, Status.REJECTED): Action.REJECT,
    (Status.APPROVED, Status.HIDDEN): Action.HIDE,
    (Status.HIDDEN, Status.APPROVED): Action.UNHIDE,
    (Status.APPROVED, Status.PENDING): Action.RESUBMIT,
}
# Decisions the author is told about, and must be given a reason for.
NOTIFIED = {Action.APPROVE, Action.REJECT, Action.HIDE, Action.FLAG_HIDE, Action.FLAGS_HIDDEN}
REASON_REQUIRED = {Action.REJECT, Action.HIDE, Action.FLAGS_HIDDEN}


class ModerationError(ValidationError):
    """A decision that cannot be applied; the message says why."""


class StaleDecision(ModerationError):
    """The annotation changed since the moderator looked at it."""


def can_moderate(user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm("annotations.moderate_annotation")
    )


def flag_threshold() -> int:
    return int(getattr(settings, "ANNOTATIONS_FLAG_HIDE_THRESHOLD", 3))


def _log(annotation: Annotation, *, actor, action: str, from_status: str, to_status: str, reason: str) -> ModerationLog:
    return ModerationLog.objects.create(
        annotation=annotation,
        annotation_ref=annotation.pk,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def record_creation(annotation: Annotation) -> None:
    _log(
        annotation,
        actor=annotation.author,
        action=Action.CREATE,
        from_status="",
        to_status=annotation.status,
        reason="",
    )


@transaction.atomic
def transition(
    *,
    annotation: Annotation,
    to_status: str,
    actor,
    reason: str = "",
    expected_status: str | None = None,
    action: str | None = None,
) -> Annotation:
    """Move an annotation to ``to_status``; returns the updated annotation.

    ``expected_status`` is the status the decision was made on (the queue and
    admin send it): when the annotation has moved on since, the decision is
    refused with ``StaleDecision`` instead of being applied. ``actor`` None
    means the system (reader flags).
    """
    no_control_characters(reason or "")  # the one rule for user text: the reason is shown to the author
    locked = Annotation.objects.select_for_update().select_related("article").get(pk=annotation.pk)
    current = locked.status
    if expected_status and current != expected_status:
        last = locked.moderation_log.select_related("actor").order_by("-created_at", "-pk").first()
        by = f" by {last.actor.get_username()}" if last and last.actor_id else ""
        raise StaleDecision(
            f"Annotation #{locked.pk} is already {locked.get_status_display().lower()}{by}; "
            "your decision was not applied. Reload to see its current state."
        )
    if locked.is_private:
        raise ModerationError("Private annotations are never moderated.")
    natural = TRANSITIONS.get((current, to_status))
    if natural is None:
        raise ModerationError(
            f"Annotation #{locked.pk} is {Status(current).label.lower()}: it cannot become {Status(to_status).label.lower()}."
        )
    action = action or natural
    reason = (reason or "").strip()
    if action == Action.RESUBMIT:
        if actor is None or actor.pk != locked.author_id:
            raise PermissionDenied("Only the author's edit sends an annotation back to review.")
    elif action == Action.FLAG_HIDE:
        if actor is not None:
            raise PermissionDenied("Only reader flags hide an annotation automatically.")
    elif not can_moderate(actor):
        raise PermissionDenied("Only moderators can do that.")
    if action in REASON_REQUIRED and not reason:
        raise ModerationError("Give a reason: the author will see it.")

    locked.status = to_status
    locked.moderated_by = actor if actor is not None and actor.is_authenticated else None
    locked.moderated_at = timezone.now()
    locked.moderation_reason = reason
    locked.save(update_fields=["status", "moderated_by", "moderated_at", "moderation_reason", "updated_at"])
    entry = _log(locked, actor=actor, action=action, from_status=current, to_status=to_status, reason=reason)
    bump_article(locked.article_id)
    if action in NOTIFIED:
        notify.notify_author(locked, action=action, reason=reason, decision=entry)
    if to_status == Status.APPROVED:
        notify.on_published(locked)  # replies and mentions, now that readers see it
    return locked


def approve(*, annotation, actor, reason="", expected_status=Status.PENDING) -> Annotation:
    return transition(
        annotation=annotation, to_status=Status.APPROVED, actor=actor, reason=reason, expected_status=expected_status
    )


def reject(*, annotation, actor, reason, expected_status=Status.PENDING) -> Annotation:
    return transition(
        annotation=annotation, to_status=Status.REJECTED, actor=actor, reason=reason, expected_status=expected_status
    )


def hide(*, annotation, actor, reason, expected_status=Status.APPROVED) -> Annotation:
    return transition(
        annotation=annotation, to_status=Status.HIDDEN, actor=actor, reason=reason, expected_status=expected_status
    )


def unhide(*, annotation, actor, reason="", expected_status=Status.HIDDEN) -> Annotation:
    return transition(
        annotation=annotation, to_status=Status.APPROVED, actor=actor, reason=reason, expected_status=expected_status
    )


DECISIONS = {"approve": approve, "reject": reject, "hide": hide, "unhide": unhide}


def decide(*, decision: str, annotation, actor, reason: str = "", expected_status: str | None = None) -> Annotation:
    """One entry point for the queue and admin actions: decision is approve/reject/hide/unhide."""
    func = DECISIONS.get(decision)
    if func is None:
        raise ModerationError(f"Unknown decision: {decision!r}.")
    kwargs = {"annotation": annotation, "actor": actor, "reason": reason}
    if expected_status:
        kwargs["expected_status"] = expected_status
    return func(**kwargs)


@transaction.atomic
def flag_annotation(*, annotation: Annotation, reporter, reason: str, text: str = "") -> Flag:
    """A reader flags an approved public annotation, once; enough open flags hide it."""
    if reporter is None or not reporter.is_authenticated:
        raise PermissionDenied("Log in to flag annotations.")
    locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if locked.is_private or locked.status not in (Status.APPROVED, Status.HIDDEN):
        raise ModerationError("Only published annotations can be flagged.")
    if locked.author_id == reporter.pk:
        raise ModerationError("You cannot flag your own annotation; edit or delete it instead.")
    flag = Flag(annotation=locked, reporter=reporter, reason=reason, text=(text or "").strip())
    flag.full_clean(validate_unique=False, validate_constraints=False)
    if reason == Flag.Reason.OTHER and not flag.text:
        raise ModerationError({"text": ["Say what is wrong when the reason is “other”."]})
    if Flag.objects.filter(annotation=locked, reporter=reporter).exists():
        raise ModerationError("You have already flagged this annotation.")
    try:
        with transaction.atomic():
            flag.save()
    except IntegrityError:
        raise ModerationError("You have already flagged this annotation.") from None
    Annotation.objects.filter(pk=locked.pk).update(open_flag_count=F("open_flag_count") + 1)
    locked.refresh_from_db(fields=["open_flag_count"])
    if locked.status == Status.APPROVED and locked.open_flag_count >= flag_threshold():
        transition(
            annotation=locked,
            to_status=Status.HIDDEN,
            actor=None,
            action=Action.FLAG_HIDE,
            reason=f"Hidden automatically after {locked.open_flag_count} reader flags, until a moderator decides.",
        )
    return flag


@transaction.atomic
def resolve_flags(*, annotation: Annotation, actor, decision: str, note: str = "") -> Annotation:
    """A moderator resolves the open flags: ``keep`` the annotation or ``hide`` it.

    Resolved flags stay in the history. Keeping an annotation that flags hid
    restores it; hiding an approved one hides it with the note as the reason.
    """
    if not can_moderate(actor):
        raise PermissionDenied("Only moderators can resolve flags.")
    if decision not in ("keep", "hide"):
        raise ModerationError("Choose keep or hide.")
    note = (note or "").strip()
    no_control_characters(note)  # the one rule for user text
    if decision == "hide" and not note:
        raise ModerationError("Give a reason: the author will see it.")
    locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
    open_flags = Flag.objects.filter(annotation=locked, resolution=Flag.Resolution.OPEN)
    if not open_flags.exists():
        raise StaleDecision(f"Annotation #{locked.pk} has no open flags: another moderator has resolved them.")
    resolution = Flag.Resolution.KEPT if decision == "keep" else Flag.Resolution.HIDDEN
    open_flags.update(resolution=resolution, resolved_by=actor, resolved_at=timezone.now(), resolution_note=note)
    Annotation.objects.filter(pk=locked.pk).update(open_flag_count=0)
    locked.open_flag_count = 0
    if decision == "keep":
        if locked.status == Status.HIDDEN:
            return transition(
                annotation=locked,
                to_status=Status.APPROVED,
                actor=actor,
                action=Action.FLAGS_KEPT,
                reason=note,
                expected_status=Status.HIDDEN,
            )
        _log(
            locked,
            actor=actor,
            action=Action.FLAGS_KEPT,
            from_status=locked.status,
            to_status=locked.status,
            reason=note,
        )
        return locked
    if locked.status == Status.APPROVED:
        return transition(
            annotation=locked,
            to_status=Status.HIDDEN,
            actor=actor,
            action=Action.FLAGS_HIDDEN,
            reason=note,
            expected_status=Status.APPROVED,
        )
    # already hidden (by the flags): the moderator confirms it, with the reason the author sees
    Annotation.objects.filter(pk=locked.pk).update(
        moderated_by=actor, moderated_at=timezone.now(), moderation_reason=note
    )
    entry = _log(
        locked, actor=actor, action=Action.FLAGS_HIDDEN, from_status=locked.status, to_status=locked.status, reason=note
    )
    notify.notify_author(locked, action=Action.FLAGS_HIDDEN, reason=note, decision=entry)
    return locked
