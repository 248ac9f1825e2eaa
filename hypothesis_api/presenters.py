"""Our annotations as the Hypothesis client's JSON (h's shape: client:src/types/api.ts).

- ``text`` is the body (the same Markdown subset; the client renders and sanitises it). A fact-check's text starts
  with its verdict and the claim checked, and it carries the tags ``fact-check`` and ``verdict: <label>``; it is
  read-only in the sidebar (no ``update``/``delete`` permission: fact-checks are written with the site's form).
- ``target``: a ``RangeSelector`` on the paragraph's text element of the article page and a ``TextQuoteSelector``
  with the quote and up to 32 characters of its paragraph on each side; an annotation on a whole paragraph
  quotes the paragraph. A reply has no selector and lists its thread's ancestors
  in ``references`` (oldest first), as h does.
- ``moderation_status`` from our states (pending → PENDING, approved → APPROVED, rejected → DENIED, hidden → DENIED
  with ``hidden: true``); private annotations (``permissions.read`` = the author alone) have none.
"""

from __future__ import annotations

from annotations.anchoring.quotes import codepoints_to_utf16
from annotations.models import Annotation
from hypothesis_api.tokens import authority, userid

PUBLIC_GROUP = "__world__"
MODERATION_STATUS = {
    Annotation.Status.PENDING: "PENDING",
    Annotation.Status.APPROVED: "APPROVED",
    Annotation.Status.REJECTED: "DENIED",
    Annotation.Status.HIDDEN: "DENIED",
}
FACT_CHECK_TAG = "fact-check"


def iso(value) -> str:
    return value.isoformat()


def public_group(*, site_url: str) -> dict:
    """The one group: public, open, pre-moderated (the client shows its own "pending" badge)."""
    return {
        "id": PUBLIC_GROUP,
        "groupid": f"group:{PUBLIC_GROUP}@{authority()}",
        "name": "Public",
        "type": "open",
        "public": True,
        "scoped": False,
        "organization": None,
        "scopes": {"enforced": False, "uri_patterns": []},
        "links": {"html": site_url},
        "pre_moderated": True,
    }


def author_id(annotation: Annotation) -> str:
    # an account deleted since keeps its annotations (author SET_NULL): they read as by "deleted"
    return userid(annotation.author) if annotation.author_id else f"acct:deleted@{authority()}"


def display_name(user) -> str:
    if user is None:
        return "deleted account"
    return user.get_full_name() or user.get_username()


def _text(annotation: Annotation) -> str:
    if not annotation.is_fact_check:
        return annotation.body
    label = annotation.verdict_info.label if annotation.verdict_info else annotation.verdict
    return f"**Fact-check: {label}.** Claim checked: “{annotation.claim_text}”\n\n{annotation.body}"


def _tags(annotation: Annotation, tags: list[str]) -> list[str]:
    if not annotation.is_fact_check:
        return tags
    label = annotation.verdict_info.label if annotation.verdict_info else annotation.verdict
    return [FACT_CHECK_TAG, f"verdict: {label}", *tags]


def paragraph_xpath(key: str) -> str:
    """The paragraph's text element on the article page (``<p|h2 class="block-text" data-block-key>``), as an XPath
    the client evaluates from ``<body>`` (keys are ``[A-Za-z0-9_-]``: nothing to escape)."""
    return f'//*[@data-block-key="{key}"][contains(concat(" ", @class, " "), " block-text ")]'


def selectors(annotation: Annotation) -> list[dict]:
    """A ``RangeSelector`` over the paragraph's text element (UTF-16 offsets, as the DOM counts; the client tries
    it first and checks the quote), then the ``TextQuoteSelector`` it falls back on."""
    if annotation.parent_id:
        return []
    text = annotation.block.text
    if annotation.quote:
        exact, prefix, suffix = annotation.quote, annotation.quote_prefix, annotation.quote_suffix
        start, end = annotation.quote_start, annotation.quote_end
    else:
        exact, prefix, suffix, start, end = text, "", "", 0, len(text)
    container = paragraph_xpath(annotation.block.key)
    return [
        {
            "type": "RangeSelector",
            "startContainer": container,
            "startOffset": codepoints_to_utf16(text, start),
            "endContainer": container,
            "endOffset": codepoints_to_utf16(text, end),
        },
        {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix},
    ]


def annotation_json(
    annotation: Annotation,
    *,
    page_uri: str,
    title: str,
    base_url: str,
    tags: list[str],
    references: list[int],
    flagged: bool,
) -> dict:
    """One annotation (its ``author`` and ``block`` loaded; ``tags`` its tag names)."""
    owner = author_id(annotation)
    private = annotation.is_private
    editable = not annotation.is_fact_check
    target = {"source": page_uri}
    found = selectors(annotation)
    if found:
        target["selector"] = found
    data = {
        "id": str(annotation.pk),
        "created": iso(annotation.created_at),
        "updated": iso(annotation.edited_at or annotation.created_at),
        "user": owner,
        "uri": page_uri,
        "text": _text(annotation),
        "tags": _tags(annotation, tags),
        "group": PUBLIC_GROUP,
        "permissions": {
            "read": [owner] if private else [f"group:{PUBLIC_GROUP}"],
            "admin": [owner],
            "update": [owner] if editable else [],
            "delete": [owner] if editable else [],
        },
        "target": [target],
        "document": {"title": [title]},
        "links": {
            "html": f"{base_url}{annotation.get_absolute_url()}",
            "incontext": f"{page_uri}#a-{annotation.pk}",
        },
        "hidden": annotation.status == Annotation.Status.HIDDEN,
        "flagged": flagged,
        "user_info": {"display_name": display_name(annotation.author)},
    }
    if references:
        data["references"] = [str(pk) for pk in references]
    if not private:
        data["moderation_status"] = MODERATION_STATUS[annotation.status]
    return data
