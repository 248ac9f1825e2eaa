"""The moderation policy: which status a new or edited annotation starts in.

- Private annotations are never moderated and never public: they are stored
  as approved (nothing to decide) and every public surface also filters on
  visibility.
- Public fact-checks always wait for a moderator (pending).
- Public notes by members of the "trusted annotators" group, and by people
  who may moderate, publish at once; notes by others wait, unless
  ``ANNOTATIONS_NOTES_POST_MODERATION`` is on, which publishes every note at
  once and leaves moderators to hide what should not stay (post-moderation).
- An author's edit of an approved public fact-check sends it back to pending;
  so does an edit of an approved note whose author's notes would wait.
  Rejected and hidden annotations keep their status when edited: the
  moderator's decision stands until a moderator changes it.
"""

from __future__ import annotations

from django.conf import settings

from accounts.roles import TRUSTED_ANNOTATORS
from annotations.models import Annotation

Status = Annotation.Status


def notes_post_moderated() -> bool:
    return bool(getattr(settings, "ANNOTATIONS_NOTES_POST_MODERATION", False))


def is_trusted(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.has_perm("annotations.moderate_annotation"):
        return True
    return user.groups.filter(name=TRUSTED_ANNOTATORS).exists()


def publishes_at_once(annotation: Annotation) -> bool:
    if annotation.kind == Annotation.Kind.FACT_CHECK:
        return False
    return notes_post_moderated() or is_trusted(annotation.author)


def initial_status(annotation: Annotation) -> str:
    if annotation.is_private:
        return Status.APPROVED
    return Status.APPROVED if publishes_at_once(annotation) else Status.PENDING


def status_after_edit(annotation: Annotation, *, was_private: bool) -> str:
    """Status after the author's edit (``annotation`` holds the new values)."""
    if annotation.is_private:
        # going (or staying) private is not a moderation matter: nothing changes
        return annotation.status
    if was_private:
        # going public: as if new, when it had been stored approved as private
        if annotation.status == Status.APPROVED:
            return initial_status(annotation)
        return annotation.status
    if annotation.status == Status.APPROVED and not publishes_at_once(annotation):
        return Status.PENDING
    return annotation.status
