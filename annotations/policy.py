"""The moderation policy: which status a new or edited annotation starts in.

Until the moderation workflow lands, public annotations are approved on
creation; private ones are never shown to anyone else whatever their status.
"""

from __future__ import annotations

from .models import Annotation


def initial_status(annotation: Annotation) -> str:
    return Annotation.Status.APPROVED


def status_after_edit(annotation: Annotation) -> str:
    return annotation.status
