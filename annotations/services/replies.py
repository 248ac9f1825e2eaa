"""Replies (issue #15): which annotation a reply attaches to, and what an author's delete leaves of a thread.

A reply is an ``Annotation`` with ``parent`` set: a public note on its parent's article and paragraph, with no
quote and no verdict (``Annotation.clean`` and the ``annotation_reply_is_a_note`` constraint). It is written by
``annotations.services.annotations.create_annotation`` (``create_reply``), so the moderation policy, the size
limits, the Markdown subset and its sanitising, the rate limits and the hooks after publishing are those of
every annotation, and it is moderated by the one ``moderation.transition``.

Depth: replies nest at most ``MAX_REPLY_DEPTH`` levels under the annotation they discuss. Replying to a reply
at that depth is allowed and attaches the new reply beside it (to its parent, the deepest level allowed), so
nobody's answer is refused for being deep and the thread never grows deeper than the pages can show.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import RestrictedError
from django.utils import timezone

from annotations.models import MAX_REPLY_DEPTH, Annotation

NOT_REPLIABLE = "You can only reply to a published annotation."


def depth(annotation: Annotation) -> int:
    """How many annotations are above ``annotation`` in its thread (0: an annotation of the text).
    Reads its parents (select_related them to spare a query per level)."""
    levels, node = 0, annotation
    while node.parent_id is not None:
        levels += 1
        node = node.parent
    return levels


def repliable(pk: int):
    """The published annotation ``pk`` people may reply to, with its ancestors, or None: approved, public, not
    a deleted placeholder, on a published article, in a thread readers see (``Annotation.objects.readable``)."""
    chain = "__".join(["parent"] * MAX_REPLY_DEPTH)
    return Annotation.objects.readable().filter(pk=pk).select_related("article", "block", "author", chain).first()


def reply_parent(parent: Annotation | int) -> Annotation:
    """The annotation a reply to ``parent`` attaches to, locked: ``parent`` itself, or, at the depth limit, the
    deepest allowed level above it. ValidationError (``parent``) when it may not be replied to."""
    pk = parent if isinstance(parent, int) else parent.pk
    found = repliable(pk)
    if found is None:
        raise ValidationError({"parent": [NOT_REPLIABLE]})
    while depth(found) >= MAX_REPLY_DEPTH:
        found = found.parent
    # locked, so a moderator's decision or the author's delete cannot slip in under the new reply
    locked = Annotation.objects.select_for_update().filter(pk=found.pk).values_list("status", "deleted_at").first()
    if locked is None or locked[0] != Annotation.Status.APPROVED or locked[1] is not None:
        raise ValidationError({"parent": [NOT_REPLIABLE]})
    return found


def remove(annotation: Annotation) -> None:
    """Delete ``annotation`` (locked) for its author: with answers, it stays as a "deleted" placeholder (body,
    tags, evidence and author gone; its replies kept); without, the row goes, and so does any placeholder
    above it left without answers."""
    parent_id = annotation.parent_id
    try:
        # RESTRICT refuses while it has replies, before writing anything: then it stays as a placeholder
        annotation.delete()
    except RestrictedError:
        annotation.tags.clear()
        annotation.evidence.all().delete()
        Annotation.objects.filter(pk=annotation.pk).update(
            deleted_at=timezone.now(),
            body="",
            body_html="",
            author=None,
            kind=Annotation.Kind.NOTE,
            claim="",
            verdict="",
            quote="",
            quote_prefix="",
            quote_suffix="",
            quote_start=None,
            quote_end=None,
            original_quote="",
            updated_at=timezone.now(),
        )
        return
    while parent_id is not None:
        parent = Annotation.objects.select_for_update().filter(pk=parent_id).first()
        if parent is None or parent.deleted_at is None or parent.replies.exists():
            return
        parent_id = parent.parent_id
        parent.delete()
