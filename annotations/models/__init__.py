"""The annotations app's models: ``annotation`` (notes, fact-checks, their tags and evidence) and
``moderation`` (the moderation log and reader flags). Import them from here: ``from annotations.models import Annotation``.
"""

from annotations.models.annotation import (
    BODY_MAX_LENGTH,
    CLAIM_MAX_LENGTH,
    CONTEXT_LENGTH,
    MAX_REPLY_DEPTH,
    QUOTE_MAX_LENGTH,
    SEARCH_CONFIG,
    Annotation,
    AnnotationQuerySet,
    Evidence,
    Tag,
    TaggedAnnotation,
    annotation_search_vector,
    http_url,
    placed_q,
    readable_q,
    thread_q,
)
from annotations.models.moderation import Flag, ModerationLog

__all__ = [
    "BODY_MAX_LENGTH",
    "CLAIM_MAX_LENGTH",
    "CONTEXT_LENGTH",
    "MAX_REPLY_DEPTH",
    "QUOTE_MAX_LENGTH",
    "SEARCH_CONFIG",
    "Annotation",
    "AnnotationQuerySet",
    "Evidence",
    "Flag",
    "ModerationLog",
    "Tag",
    "TaggedAnnotation",
    "annotation_search_vector",
    "http_url",
    "placed_q",
    "readable_q",
    "thread_q",
]
