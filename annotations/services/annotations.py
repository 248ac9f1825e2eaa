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

from annotations.anchoring.quotes import AnchorError, resolve_quote
from annotations.caching import bump_article
from annotations.models import Annotation, Evidence, Tag
from annotations.rendering import render_body
from annotations.services import moderation, policy
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


def _full_clean(annotation: Annotation) -> None:
    annotation.body = annotation.body.strip()
    if annotation.kind == Annotation.Kind.FACT_CHECK and not annotation.claim.strip():
        annotation.claim = annotation.quote
    annotation.full_clean(exclude=["body_html"])


def _anchor(annotation: Annotation, quote: QuoteInput) -> None:
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


def _check_evidence(kind: str, evidence: Sequence[EvidenceInput]) -> list[Evidence]:
    if kind == Annotation.Kind.FACT_CHECK and not evidence:
        raise ValidationError({"evidence": ["A fact-check needs at least one evidence source (a URL and a title)."]})
    if kind == Annotation.Kind.NOTE and evidence:
        raise ValidationError({"evidence": ["Only fact-checks have evidence sources."]})
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


def _resolve_block(article: Article, block_key: str) -> Block:
    # locked, so a revision of the article cannot change the text under an annotation being written
    block = Block.objects.select_for_update().filter(article=article, key=block_key, removed_at__isnull=True).first()
    if block is None:
        raise ValidationError({"block": ["That paragraph is not part of this article."]})
    return block


def _save(annotation: Annotation, *, tags: list[str], evidence: list[Evidence] | None) -> Annotation:
    annotation.body = annotation.body.strip()
    annotation.body_html = render_body(annotation.body)
    if annotation.kind == Annotation.Kind.FACT_CHECK and not annotation.claim.strip():
        annotation.claim = annotation.quote
    annotation.full_clean()
    annotation.save()
    annotation.tags.set(_tag_objects(tags), clear=False)
    if evidence is not None:
        annotation.evidence.all().delete()
        for row in evidence:
            row.annotation = annotation
        Evidence.objects.bulk_create(evidence)
    return annotation


def _tag_names(tags: str | list[str]) -> list[str]:
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
) -> Annotation:
    """Create a note or fact-check on a paragraph (optionally a quote in it).

    The moderation policy sets the initial status. Raises ValidationError.
    """
    if author is None or not author.is_authenticated:
        raise PermissionDenied("Log in to annotate.")
    if kind not in Annotation.Kind.values:
        raise ValidationError({"kind": ["Choose a note or a fact-check."]})
    annotation = Annotation(
        article=article,
        block=_resolve_block(article, block_key),
        author=author,
        kind=kind,
        body=body,
        visibility=visibility,
        claim=claim.strip() if kind == Annotation.Kind.FACT_CHECK else "",
        verdict=verdict if kind == Annotation.Kind.FACT_CHECK else "",
    )
    errors = _Errors()
    tag_names = errors.run(_tag_names, tags) or []
    errors.run(_anchor, annotation, quote)
    rows = errors.run(_check_evidence, kind, evidence) or []
    errors.run(_full_clean, annotation)
    errors.raise_any()
    annotation.status = policy.initial_status(annotation)
    annotation.original_revision = annotation.anchored_revision = latest_revision(article)
    _save(annotation, tags=tag_names, evidence=rows)
    moderation.record_creation(annotation)
    bump_article(annotation.article_id)
    return annotation


def can_edit(user, annotation: Annotation) -> bool:
    return user is not None and user.is_authenticated and annotation.author_id == user.pk


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
    policy (an approved fact-check returns to pending).
    """
    annotation = Annotation.objects.select_for_update().select_related("block").get(pk=annotation.pk)
    if not can_edit(actor, annotation):
        raise PermissionDenied("Only the author can edit this annotation.")
    was_private = annotation.is_private
    annotation.body = body
    if visibility is not None:
        annotation.visibility = visibility
    if annotation.kind == Annotation.Kind.FACT_CHECK:
        annotation.claim = claim.strip()
        annotation.verdict = verdict
    errors = _Errors()
    if quote is not None:
        errors.run(_anchor, annotation, quote)
    tag_names = errors.run(_tag_names, tags) or []
    rows = errors.run(_check_evidence, annotation.kind, evidence) if evidence is not None else None
    errors.run(_full_clean, annotation)
    errors.raise_any()
    new_status = policy.status_after_edit(annotation, was_private=was_private)
    annotation.edited_at = timezone.now()
    _save(annotation, tags=tag_names, evidence=rows)
    if new_status != annotation.status:
        annotation = moderation.transition(
            annotation=annotation,
            to_status=new_status,
            actor=actor,
            action=moderation.Action.RESUBMIT,
            reason="Edited by the author.",
        )
    bump_article(annotation.article_id)
    return annotation


@transaction.atomic
def delete_annotation(*, actor, annotation: Annotation) -> None:
    annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if not can_edit(actor, annotation):
        raise PermissionDenied("Only the author can delete this annotation.")
    bump_article(annotation.article_id)
    annotation.delete()


@transaction.atomic
def save_from_admin(*, annotation: Annotation, actor, is_new: bool) -> Annotation:
    """Save an annotation an editor or moderator wrote or changed in the admin.

    The admin form has already validated it (model ``clean`` checks the quote
    and paragraph); this renders the body, fills the defaults and applies the
    moderation policy to new ones. Tags and evidence are saved by the admin
    afterwards (``save_related``), inside the same request transaction.
    """
    if is_new and annotation.author_id is None:
        annotation.author = actor
    annotation.body = annotation.body.strip()
    annotation.body_html = render_body(annotation.body)
    if annotation.kind == Annotation.Kind.FACT_CHECK and not annotation.claim.strip():
        annotation.claim = annotation.quote
    if annotation.kind == Annotation.Kind.NOTE:
        annotation.claim, annotation.verdict = "", ""
    if is_new:
        annotation.status = policy.initial_status(annotation)
    elif _says_something_else(annotation):
        annotation.edited_at = timezone.now()
    annotation.save()
    if is_new:
        moderation.record_creation(annotation)
    bump_article(annotation.article_id)
    return annotation


# what an annotation says; a change to any of them is an edit readers are told about
CONTENT_FIELDS = ("body", "quote", "quote_start", "quote_end", "claim", "verdict")


def _says_something_else(annotation: Annotation) -> bool:
    before = Annotation.objects.filter(pk=annotation.pk).values(*CONTENT_FIELDS).first()
    return before is not None and any(before[name] != getattr(annotation, name) for name in CONTENT_FIELDS)
