"""Factories for annotation tests: rows written straight through the ORM.

``make_annotation`` bypasses the services (and so the moderation policy, the
moderation log and the article-version cache bump): the caller chooses the
status and visibility. Create rows before the first request of a test, or the
article page may serve a fragment cached before them. The quote is anchored in the block's
text with ``resolve_quote`` and the body rendered with ``render_body``, as the
services would store them.
"""

import pytest

from annotations.anchoring.quotes import resolve_quote
from annotations.models import Annotation, Evidence, ModerationLog, Tag, TaggedAnnotation
from annotations.rendering import render_body
from annotations.tagging import parse_tags
from articles.models import Block


@pytest.fixture
def make_annotation(db, author):
    def make(
        *,
        article,
        block=None,
        author=author,
        kind=Annotation.Kind.NOTE,
        body="A note about this paragraph.",
        quote="",
        status=Annotation.Status.APPROVED,
        visibility=Annotation.Visibility.PUBLIC,
        tags=(),
        evidence=None,
        claim="",
        verdict=None,
    ):
        if block is None:
            block = article.blocks.current().first()
        elif isinstance(block, str):
            block = article.blocks.get(key=block)
        anchor = resolve_quote(block.text, quote) if quote else None
        if verdict is None:
            verdict = "misleading" if kind == Annotation.Kind.FACT_CHECK else ""
        if evidence is None:
            evidence = (
                [{"url": "https://example.org/source", "title": "A source"}]
                if kind == Annotation.Kind.FACT_CHECK
                else []
            )
        annotation = Annotation.objects.create(
            article=article,
            block=block,
            author=author,
            kind=kind,
            visibility=visibility,
            status=status,
            body=body,
            body_html=render_body(body),
            quote=anchor.exact if anchor else "",
            quote_start=anchor.start if anchor else None,
            quote_end=anchor.end if anchor else None,
            quote_prefix=anchor.prefix if anchor else "",
            quote_suffix=anchor.suffix if anchor else "",
            claim=claim or (anchor.exact if anchor and kind == Annotation.Kind.FACT_CHECK else ""),
            verdict=verdict,
        )
        for name in parse_tags(list(tags)):
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            annotation.tags.add(tag)
        for position, item in enumerate(evidence):
            Evidence.objects.create(annotation=annotation, position=position, **item)
        return annotation

    return make


@pytest.fixture
def set_text(db):
    """Give a block of an article a new text: ``set_text(article, "k001", "…")``."""

    def set_(article, key, text):
        block = Block.objects.get(article=article, key=key)
        block.text = text
        block.save()
        return block

    return set_


@pytest.fixture
def counts(db):
    """Row counts of everything an annotation write touches (to assert nothing was written)."""

    def count():
        return {
            "annotations": Annotation.objects.count(),
            "evidence": Evidence.objects.count(),
            "tags": Tag.objects.count(),
            "tagged": TaggedAnnotation.objects.count(),
            "moderation_log": ModerationLog.objects.count(),
        }

    return count
