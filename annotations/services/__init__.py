"""Every write with rules, one module per use case; views, the admin, commands and the API call these.

- ``annotations``: create, edit and delete a note or fact-check (``create_annotation``, ...);
- ``moderation``: the status workflow, reader flags, the moderation log;
- ``policy``: which status a new or edited annotation starts in;
- ``reanchoring``: keeping annotations anchored when an article's text is revised;
- ``tags``: renaming and deleting tags;
- ``notify``: e-mails to authors.

The annotation writes are re-exported here: ``from annotations.services import create_annotation``.
"""

from annotations.services.annotations import (
    MAX_EVIDENCE,
    EvidenceInput,
    QuoteInput,
    can_edit,
    can_edit_as_staff,
    check_block,
    check_evidence,
    check_quote,
    check_tags,
    correct_annotation,
    create_annotation,
    create_reply,
    delete_annotation,
    update_annotation,
)
from annotations.services.tags import delete_tag, save_tag

__all__ = [
    "MAX_EVIDENCE",
    "EvidenceInput",
    "QuoteInput",
    "can_edit",
    "can_edit_as_staff",
    "check_block",
    "check_evidence",
    "check_quote",
    "check_tags",
    "correct_annotation",
    "create_annotation",
    "create_reply",
    "delete_annotation",
    "delete_tag",
    "save_tag",
    "update_annotation",
]
