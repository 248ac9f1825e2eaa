"""Moderators' decisions on annotations a revision detached or flagged for review (admin).

* ``confirm_still_valid``: the one-click decision from the moderation queue: the annotation holds for the
  words the text now has where the matcher proposed; it is placed there, and the confirmation recorded
  (who, when: readers see "re-checked on <date>").
* ``reattach_annotation``: the moderator chooses the paragraph and the words themselves.
* ``confirm_orphan``: it has no place in the current text; it stays under "Notes on earlier wording".

Each checks the moderator may decide, refuses a stale decision (the annotation's anchoring changed since
the moderator looked), writes one log row and refreshes the article's cached pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.text import no_control_characters
from annotations.anchoring.quotes import AnchorError, resolve_quote
from annotations.caching import bump_article
from annotations.models import Annotation, ModerationLog
from annotations.services.moderation import ModerationError, StaleDecision, can_moderate
from annotations.services.reanchoring import ANCHOR_FIELDS, DETACHED, anchor_log
from articles.models import ArticleRevision, Block

State = Annotation.AnchorState
Action = ModerationLog.Action


def _locked_for_decision(annotation: Annotation, actor, expected_state: str | None, reason: str) -> Annotation:
    if not can_moderate(actor):
        raise PermissionDenied("Only moderators can re-attach annotations or confirm orphans.")
    no_control_characters(reason or "")  # the one rule for user text: the reason is kept in the history
    locked = Annotation.objects.select_for_update().select_related("block", "article").get(pk=annotation.pk)
    if expected_state and locked.anchor_state != expected_state:
        raise StaleDecision(
            f"Annotation #{locked.pk} is now “{locked.get_anchor_state_display().lower()}”; "
            "your decision was not applied. Reload to see its current state."
        )
    return locked


def _attach(locked: Annotation, *, actor, block: Block, anchor) -> tuple[str, str]:
    """Place a locked annotation on ``block`` (and ``anchor``, or the whole paragraph), reviewed by ``actor``.

    Keeps the original quote; ``text_changed`` says whether the words now differ from it. Returns where it
    was and where it is now, for the log.
    """
    was = f"p-{locked.block.key}" + (f" at {locked.quote_start}-{locked.quote_end}" if locked.quote else "")
    original = locked.original_quote or locked.quote
    detached = locked.anchor_state in DETACHED
    locked.original_quote = original
    locked.block = block
    if anchor is None:
        locked.quote, locked.quote_start, locked.quote_end, locked.quote_prefix, locked.quote_suffix = (
            "",
            None,
            None,
            "",
            "",
        )
    else:
        locked.quote, locked.quote_start, locked.quote_end = anchor.exact, anchor.start, anchor.end
        locked.quote_prefix, locked.quote_suffix = anchor.prefix, anchor.suffix
    locked.text_changed = (
        (anchor is None or anchor.exact != original) if original else (locked.text_changed or detached)
    )
    locked.anchor_state = State.ANCHORED
    locked.anchor_score = None
    locked.anchored_revision = ArticleRevision.objects.filter(article_id=locked.article_id).order_by("-number").first()
    locked.anchor_reviewed_by = actor
    locked.anchor_reviewed_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=ANCHOR_FIELDS)

    where = f"p-{block.key}" + (
        f" at {anchor.start}-{anchor.end}: “{anchor.exact}”" if anchor else " (the whole paragraph)"
    )
    return was, where


def _current_paragraph(locked: Annotation, block_key: str) -> Block:
    block = (
        Block.objects.filter(article_id=locked.article_id, key=block_key, removed_at__isnull=True)
        .exclude(kind=Block.Kind.IMAGE)
        .first()
    )
    if block is None:
        raise ValidationError({"block": ["Choose a paragraph of the article's current text."]})
    return block


@transaction.atomic
def confirm_still_valid(
    *,
    annotation: Annotation,
    actor,
    block_key: str,
    start: int | None = None,
    end: int | None = None,
    words: str | None = None,
    reason: str = "",
    expected_state: str | None = None,
) -> Annotation:
    """A moderator confirms the annotation still holds for the words now at ``[start, end)`` of ``block_key``
    (the whole paragraph without offsets): the place the queue proposed after the text changed. ``words``
    are the words the moderator was shown there: if the text has changed again since, nothing is done.

    Raises ValidationError (no such paragraph, or other words at those offsets now), StaleDecision,
    PermissionDenied.
    """
    locked = _locked_for_decision(annotation, actor, expected_state, reason)
    block = _current_paragraph(locked, block_key)
    anchor = None
    if start is not None or end is not None:
        if start is None or end is None or not 0 <= start < end <= len(block.text):
            raise ValidationError({"quote": ["Those words are no longer in the paragraph; reload the queue."]})
        anchor = resolve_quote(block.text, block.text[start:end], start=start, end=end)
    shown = anchor.exact if anchor else block.text
    if words is not None and words != shown:
        raise ValidationError({"quote": ["The text changed again since you looked; reload the queue."]})
    before = locked.original_quote or locked.quote
    was, where = _attach(locked, actor=actor, block=block, anchor=anchor)
    text = f"Confirmed still valid after the text changed, at {where} (was {was}"
    text += f"; the words it was written on: “{before}”)." if before else ")."
    if reason.strip():
        text += f" {reason.strip()}"
    anchor_log(locked, action=Action.ANCHOR_CONFIRMED, actor=actor, reason=text).save()
    bump_article(locked.article_id)
    return locked


@transaction.atomic
def reattach_annotation(
    *,
    annotation: Annotation,
    actor,
    block_key: str,
    quote: str = "",
    start: int | None = None,
    end: int | None = None,
    prefix: str = "",
    suffix: str = "",
    reason: str = "",
    expected_state: str | None = None,
) -> Annotation:
    """A moderator attaches an annotation to a paragraph of the current text, and optionally a quote in it.

    The quote must occur in the paragraph (with offsets, exactly there). The
    original quote is kept; ``text_changed`` says whether the words differ
    from it. Raises ValidationError (bad paragraph or quote), StaleDecision
    (its state changed since the moderator looked), PermissionDenied.
    """
    locked = _locked_for_decision(annotation, actor, expected_state, reason)
    block = _current_paragraph(locked, block_key)
    try:
        anchor = resolve_quote(block.text, quote or "", start=start, end=end, prefix=prefix, suffix=suffix)
    except AnchorError as exc:
        raise ValidationError({"quote": [str(exc)]}) from None

    was, where = _attach(locked, actor=actor, block=block, anchor=anchor)
    text = f"Re-attached to {where} (was {was})."
    if reason.strip():
        text += f" {reason.strip()}"
    anchor_log(locked, action=Action.REATTACHED, actor=actor, reason=text).save()
    bump_article(locked.article_id)
    return locked


@transaction.atomic
def confirm_orphan(*, annotation: Annotation, actor, reason: str = "", expected_state: str | None = None) -> Annotation:
    """A moderator confirms that an annotation has no place in the current text: it stays an orphan, reviewed."""
    locked = _locked_for_decision(annotation, actor, expected_state, reason)
    if locked.anchor_state not in DETACHED:
        raise ModerationError(
            f"Annotation #{locked.pk} is anchored in the text; only annotations that need re-anchoring "
            "or are orphaned can be confirmed as orphans."
        )
    locked.anchor_state = State.ORPHANED
    locked.original_quote = locked.original_quote or locked.quote
    locked.text_changed = True
    locked.anchor_reviewed_by = actor
    locked.anchor_reviewed_at = timezone.now()
    locked.save(
        update_fields=["anchor_state", "original_quote", "text_changed", "anchor_reviewed_by", "anchor_reviewed_at"]
    )
    text = "Confirmed as orphaned: its words are no longer in the article."
    if reason.strip():
        text += f" {reason.strip()}"
    anchor_log(locked, action=Action.ORPHAN_CONFIRMED, actor=actor, reason=text).save()
    bump_article(locked.article_id)
    return locked
