"""The moderation queue's rows: the rule is ``AnnotationQuerySet.in_queue``; this adds what the page shows."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from annotations.models import Annotation, Flag, TaggedAnnotation


def moderation_queue() -> QuerySet[Annotation]:
    """Pending public annotations and annotations with open flags, oldest first.

    The condition and the order are those of the partial index ``annotation_in_queue_idx`` (created_at, id
    where visibility is public and the status pending or a flag open): change one, change the other.
    Prefetched into lists (``queue_tags``, ``queue_evidence``, ``open_flags``): no related manager per row.
    """
    return (
        Annotation.objects.in_queue()
        .select_related("article", "block", "author")
        .prefetch_related(
            Prefetch("tagged_items", queryset=TaggedAnnotation.objects.select_related("tag"), to_attr="queue_tags"),
            Prefetch("evidence", to_attr="queue_evidence"),
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(resolution=Flag.Resolution.OPEN).select_related("reporter"),
                to_attr="open_flags",
            ),
        )
        .order_by("created_at", "pk")
    )
