"""Writes to annotations: create, edit, delete (moderation lives in ``moderation``).

Each function takes keyword-only arguments, validates the whole change,
writes it in one transaction (nothing half-saved) and raises
``django.core.exceptions.ValidationError`` with messages meant for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.text import no_control_characters
from annotations.anchoring.quotes import AnchorError, resolve_quote
from annotations.caching import bump_article
from annotations.models import Annotation, Evidence, Tag
from annotations.rendering import render_body
from annotations.services import moderation, notify, policy, replies
from annotations.tagging import parse_tags
from articles.models import Article, Block
from articles.revisions import latest_revision

MAX_EVIDENCE = 10


@dataclass(frozen=True)
class EvidenceInput:
    url: str
    title: str
    excerpt: str = ""
    archived_url: str = ""


@dataclass(frozen=True)
class QuoteInput:
    """A quote as sent: the text, and optionally its offsets (code points or UTF-16 units)."""

    exact: str = ""
    start: int | None = None
    end: int | None = None
    utf16: bool = False
    prefix: str = ""
    suffix: str = ""


class _Errors:
    """Collects the errors of several checks so the annotator sees them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def run(self, check, *args):
        try:
            return check(*args)
        except ValidationError as exc:
            items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
            for field, messages in items:
                for message in messages:
                    if message not in self.errors.setdefault(field, []):
                        self.errors[field].append(message)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# The foreign keys the services set from rows they hold (read, often locked, in this transaction; the database
# enforces the keys at commit): full_clean would ask the database again whether each row exists, one query each.
_SET_FROM_ROWS_HELD = (
    "article",
    "block",
    "author",
    "parent",
    "moderated_by",
    "original_revision",
    "anchored_revision",
    "anchor_reviewed_by",
)


def _full_clean(annotation: Annotation) -> None:
    """The annotation's field and model rules, without a query: the foreign keys are rows held
    (``_SET_FROM_ROWS_HELD``) and the table's check constraints are ``Annotation.clean``'s rules too (which
    ``validate_constraints`` would check with a query each; ``tests/annotations/test_model_rules.py`` keeps
    the two in step). About a quarter of a write's queries before (issue 17)."""
    annotation.body = annotation.body.strip()
    if annotation.kind == Annotation.Kind.FACT_CHECK and not annotation.claim.strip():
        annotation.claim = annotation.quote
    annotation.full_clean(exclude=["body_html", *_SET_FROM_ROWS_HELD], validate_constraints=False)


def check_quote(annotation: Annotation, quote: QuoteInput) -> None:
    """Anchor ``quote`` in the annotation's paragraph and set its quote fields; ValidationError on ``quote``.

    Shared by the public form (through the services) and the admin form, so both refuse the same quotes
    with the same messages.
    """
    try:
        # the one rule for user text (a quote with a control character could never match a paragraph anyway)
        no_control_characters(quote.exact)
    except ValidationError as exc:
        raise ValidationError({"quote": exc.messages}) from None
    try:
        anchor = resolve_quote(
            annotation.block.text,
            quote.exact,
            start=quote.start,
            end=quote.end,
            utf16=quote.utf16,
            prefix=quote.prefix,
            suffix=quote.suffix,
        )
    except AnchorError as exc:
        raise ValidationError({"quote": [str(exc)]}) from None
    if anchor is None:
        annotation.quote, annotation.quote_prefix, annotation.quote_suffix = "", "", ""
        annotation.quote_start = annotation.quote_end = None
    else:
        annotation.quote, annotation.quote_start, annotation.quote_end = anchor.exact, anchor.start, anchor.end
        annotation.quote_prefix, annotation.quote_suffix = anchor.prefix, anchor.suffix


def check_evidence(kind: str, evidence: Sequence[EvidenceInput]) -> list[Evidence]:
    """The evidence rows for a ``kind`` of annotation, validated (unsaved); ValidationError on ``evidence``."""
    if kind == Annotation.Kind.FACT_CHECK and not evidence:
        raise ValidationError({"evidence": ["A fact-check needs at least one evidence source (a URL and a title)."]})
    if kind == Annotation.Kind.NOTE and evidence:
        raise ValidationError(
            {"evidence": ["Only fact-checks have evidence sources; remove them or make this a fact-check."]}
        )
    if len(evidence) > MAX_EVIDENCE:
        raise ValidationError({"evidence": [f"Give at most {MAX_EVIDENCE} evidence sources."]})
    rows = []
    for position, item in enumerate(evidence):
        row = Evidence(
            url=item.url.strip(),
            title=item.title.strip(),
            excerpt=item.excerpt.strip(),
            archived_url=item.archived_url.strip(),
            position=position,
        )
        try:
            row.full_clean(exclude=["annotation"])
        except ValidationError as exc:
            messages = [
                f"Evidence {position + 1}, {field}: {' '.join(errs)}" for field, errs in exc.message_dict.items()
            ]
            raise ValidationError({"evidence": messages}) from None
        rows.append(row)
    return rows


NOT_IN_ARTICLE = "That paragraph is not part of this article."
NOT_A_PARAGRAPH = "Image placeholders cannot be annotated; choose a paragraph."


def check_block(*, article: Article, block: Block | None) -> Block:
    """``block`` if an annotation may target it in ``article``: a current paragraph or heading of it."""
    if block is None or block.article_id != article.pk or block.removed_at is not None:
        raise ValidationError({"block": [NOT_IN_ARTICLE]})
    if block.kind == Block.Kind.IMAGE:
        raise ValidationError({"block": [NOT_A_PARAGRAPH]})
    return block


def _resolve_block(article: Article, block_key: str) -> Block:
    # locked, so a revision of the article cannot change the text under an annotation being written
    block = Block.objects.select_for_update().filter(article=article, key=block_key).first()
    return check_block(article=article, block=block)


def _save(annotation: Annotation, *, tags: list[str], evidence: list[Evidence] | None) -> Annotation:
    """Write an annotation its caller has validated (``_full_clean``), with its tags and evidence."""
    annotation.body_html = render_body(annotation.body)
    annotation.save()
    annotation.tags.set(_tag_objects(tags), clear=False)
    if evidence is not None:
        annotation.evidence.all().delete()
        for row in evidence:
            row.annotation = annotation
        Evidence.objects.bulk_create(evidence)
    return annotation


def check_tags(tags: str | list[str]) -> list[str]:
    """The tag names in their normalised spelling; ValidationError on ``tags``."""
    try:
        return parse_tags(tags)
    except ValidationError as exc:
        raise ValidationError({"tags": exc.messages}) from None


def _tag_objects(names: list[str]) -> list[Tag]:
    """Existing tags by case-insensitive name, new ones created in their normalised spelling."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name)
            except IntegrityError:  # created meanwhile by a concurrent request
                tag = Tag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


@transaction.atomic
def create_annotation(
    *,
    author,
    article: Article,
    block_key: str,
    kind: str,
    body: str,
    tags: str | list[str] = "",
    visibility: str = Annotation.Visibility.PUBLIC,
    quote: QuoteInput = QuoteInput(),
    claim: str = "",
    verdict: str = "",
    evidence: Sequence[EvidenceInput] = (),
    canonical: str = "",
    via: str = "",
    parent: Annotation | int | None = None,
) -> Annotation:
    """Create a note or fact-check on a paragraph (optionally a quote in it), or, with ``parent``, a reply to
    that published annotation (on its paragraph; at the depth limit, beside it: ``replies.reply_parent``).

    The moderation policy sets the initial status. ``canonical`` and ``via`` are the W3C protocol's IRIs
    (``annotations.services.w3c_input``), kept as sent. Raises ValidationError.
    """
    if author is None or not author.is_authenticated:
        raise PermissionDenied("Log in to annotate.")
    if kind not in Annotation.Kind.values:
        raise ValidationError({"kind": ["Choose a note or a fact-check."]})
    if parent is not None:
        parent = replies.reply_parent(parent)
        if parent.article_id != article.pk:
            raise ValidationError({"parent": [replies.NOT_REPLIABLE]})
    annotation = Annotation(
        article=article,
        parent=parent,
        block=_resolve_block(article, block_key) if parent is None else parent.block,
        author=author,
        kind=kind,
        body=body,
        visibility=visibility,
        claim=claim.strip() if kind == Annotation.Kind.FACT_CHECK else "",
        verdict=verdict if kind == Annotation.Kind.FACT_CHECK else "",
        canonical=canonical,
        via=via,
    )
    errors = _Errors()
    tag_names = errors.run(check_tags, tags) or []
    errors.run(check_quote, annotation, quote)
    rows = errors.run(check_evidence, kind, evidence) or []
    errors.run(_full_clean, annotation)
    errors.raise_any()
    annotation.status = policy.initial_status(annotation)
    annotation.original_revision = annotation.anchored_revision = latest_revision(article)
    _save(annotation, tags=tag_names, evidence=rows)
    moderation.record_creation(annotation)
    bump_article(annotation.article_id)
    notify.on_published(annotation)  # replies and mentions, when it is public at once
    return annotation


def create_reply(*, author, parent: Annotation | int, body: str, tags: str | list[str] = "", **protocol) -> Annotation:
    """A reply to the published annotation ``parent``: a public note through ``create_annotation`` (the same
    policy, checks, log and hooks). ``protocol``: the W3C protocol's ``canonical`` and ``via``. Raises
    ValidationError (``parent``: it may not be replied to), PermissionDenied."""
    if author is None or not author.is_authenticated:
        raise PermissionDenied("Log in to reply.")
    target = replies.repliable(parent if isinstance(parent, int) else parent.pk)
    if target is None:
        raise ValidationError({"parent": [replies.NOT_REPLIABLE]})
    return create_annotation(
        author=author,
        article=target.article,
        block_key=target.block.key,
        kind=Annotation.Kind.NOTE,
        body=body,
        tags=tags,
        parent=target,
        **protocol,
    )


def can_edit(user, annotation: Annotation) -> bool:
    return user is not None and user.is_authenticated and annotation.author_id == user.pk


def can_edit_as_staff(user) -> bool:
    """Editors and moderators may correct anyone's annotation in the admin (never its visibility)."""
    return (
        user is not None and user.is_authenticated and user.is_active and user.has_perm("annotations.change_annotation")
    )


@transaction.atomic
def update_annotation(
    *,
    actor,
    annotation: Annotation,
    body: str,
    tags: str | list[str] = "",
    visibility: str | None = None,
    quote: QuoteInput | None = None,
    claim: str = "",
    verdict: str = "",
    evidence: Sequence[EvidenceInput] | None = None,
) -> Annotation:
    """The author edits their annotation; the kind and paragraph stay.

    An edit of an approved public annotation goes back through the moderation
    policy (an approved fact-check returns to pending); it is always shown as
    an edit. Raises ValidationError, PermissionDenied.
    """
    locked = _locked(annotation)
    if not can_edit(actor, locked):
        raise PermissionDenied("Only the author can edit this annotation.")
    was_private = locked.is_private
    _edit(
        locked,
        body=body,
        tags=tags,
        visibility=visibility,
        quote=quote,
        claim=claim,
        verdict=verdict,
        evidence=evidence,
        always_an_edit=True,
    )
    new_status = policy.status_after_edit(locked, was_private=was_private)
    if new_status != locked.status:
        locked = moderation.transition(
            annotation=locked,
            to_status=new_status,
            actor=actor,
            action=moderation.Action.RESUBMIT,
            reason="Edited by the author.",
        )
    bump_article(locked.article_id)
    notify.on_published(locked)  # an edit that stays public tells the newly mentioned
    return locked


@transaction.atomic
def correct_annotation(
    *,
    actor,
    annotation: Annotation,
    block_key: str,
    kind: str,
    body: str,
    tags: str | list[str] = "",
    visibility: str | None = None,
    quote: QuoteInput | None = None,
    claim: str = "",
    verdict: str = "",
    evidence: Sequence[EvidenceInput] = (),
) -> Annotation:
    """An editor or moderator corrects an annotation in the admin (anyone's; ``can_edit_as_staff``).

    The same checks and save as the author's edit. The moderation status
    stays (a correction is not a resubmission); the annotation may move to
    another paragraph of its article or change kind; its visibility is its
    author's choice alone; it is shown as edited only when what it says
    changed. Raises ValidationError, PermissionDenied.
    """
    locked = _locked(annotation)
    if not can_edit_as_staff(actor):
        raise PermissionDenied("Only editors and moderators can correct annotations.")
    if visibility is not None and visibility != locked.visibility and not can_edit(actor, locked):
        raise PermissionDenied("Only the author can make an annotation public or private.")
    if kind not in Annotation.Kind.values:
        raise ValidationError({"kind": ["Choose a note or a fact-check."]})
    errors = _Errors()
    if block_key != locked.block.key:
        locked.block = errors.run(_resolve_block, locked.article, block_key) or locked.block
    locked.kind = kind
    _edit(
        locked,
        body=body,
        tags=tags,
        visibility=visibility,
        quote=quote,
        claim=claim,
        verdict=verdict,
        evidence=evidence,
        always_an_edit=False,
        errors=errors,
    )
    bump_article(locked.article_id)
    return locked


def _locked(annotation: Annotation) -> Annotation:
    return Annotation.objects.select_for_update().select_related("block", "article").get(pk=annotation.pk)


# what an annotation says; a change to any of them is an edit readers are told about ("edited")
CONTENT_FIELDS = ("body", "quote", "quote_start", "quote_end", "claim", "verdict")


def _edit(
    annotation: Annotation,
    *,
    body: str,
    tags: str | list[str],
    visibility: str | None,
    quote: QuoteInput | None,
    claim: str,
    verdict: str,
    evidence: Sequence[EvidenceInput] | None,
    always_an_edit: bool,
    errors: _Errors | None = None,
) -> None:
    """Validate and save an edit of a locked annotation (all errors at once); sets ``edited_at``."""
    said = {name: getattr(annotation, name) for name in CONTENT_FIELDS}
    errors = errors or _Errors()
    annotation.body = body
    if visibility is not None:
        annotation.visibility = visibility
    is_fact_check = annotation.kind == Annotation.Kind.FACT_CHECK
    annotation.claim = claim.strip() if is_fact_check else ""
    annotation.verdict = verdict if is_fact_check else ""
    if quote is not None:
        errors.run(check_quote, annotation, quote)
    tag_names = errors.run(check_tags, tags) or []
    rows = errors.run(check_evidence, annotation.kind, evidence) if evidence is not None else None
    errors.run(_full_clean, annotation)
    errors.raise_any()
    if always_an_edit or any(said[name] != getattr(annotation, name) for name in CONTENT_FIELDS):
        annotation.edited_at = timezone.now()
    _save(annotation, tags=tag_names, evidence=rows)


@transaction.atomic
def delete_annotation(*, actor, annotation: Annotation) -> None:
    annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if not can_edit(actor, annotation):
        raise PermissionDenied("Only the author can delete this annotation.")
    bump_article(annotation.article_id)
    replies.remove(annotation)  # with answers, a "deleted" placeholder keeps the thread readable
