"""The articles: the sample through the real importer, a large one, fillers for the admin pages, the one writes go to."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from seed_annotations import Annotator
from seed_data import BATCH, paragraph

if TYPE_CHECKING:
    from django.db.models import Model

LARGE_SLUG = "bench-large"
WRITES_SLUG = "bench-writes"
FILLER_SLUG = "bench-filler-{:02d}"


def sample_article(annotator: Annotator) -> dict:
    """The sample, imported as setup_demo does, with a few approved annotations."""
    from django.conf import settings

    from articles.demo import SAMPLE_DEK, SAMPLE_PATH, SAMPLE_SLUG, SAMPLE_SOURCE
    from articles.models import Block, Source
    from articles.parsing import parse_document, read_document
    from articles.services import import_article

    parsed = parse_document(read_document(SAMPLE_PATH, max_bytes=settings.IMPORT_MAX_BYTES), filename=SAMPLE_PATH.name)
    article = import_article(parsed=parsed, slug=SAMPLE_SLUG).article
    article.dek = SAMPLE_DEK
    article.save(update_fields=["dek", "updated_at"])
    source, _ = Source.objects.get_or_create(article=article)
    for name, value in SAMPLE_SOURCE.items():
        setattr(source, name, value)
    source.save()
    blocks = list(article.blocks.current().filter(kind=Block.Kind.PARAGRAPH).exclude(text=""))
    chosen = [blocks[i * len(blocks) // 10] for i in range(10)]
    annotator.annotate(article, chosen, total=10, fact_checks=2, statuses=None, quote_share=0.8)
    return {"slug": article.slug, "id": article.pk, "paragraphs": len(blocks)}


def make_article(
    rng: random.Random,
    now: dt.datetime,
    slug: str,
    title: str,
    paragraphs: int,
    *,
    translation: bool = False,
    words: tuple[int, int] = (60, 110),
) -> tuple[Model, list[Model]]:
    """A published article of ``paragraphs`` generated paragraphs, with its source; returns it and its blocks."""
    from articles.models import Article, Block, Source

    article = Article.objects.create(
        title=title,
        slug=slug,
        status=Article.Status.PUBLISHED,
        published_on=now.date(),
        dek="A generated article for the benchmark.",
        import_identity=f"bench:{slug}",
    )
    Source.objects.create(
        article=article,
        publisher_name="Benchmark Press",
        original_url="https://example.org/original",
        original_author="A. Writer",
        is_translation=translation,
        translated_from="a generated text" if translation else "",
    )
    Block.objects.bulk_create(
        [
            Block(
                article=article,
                key=f"{slug[:12]}-{i:04d}",
                position=i + 1,
                kind=Block.Kind.PARAGRAPH,
                text=paragraph(rng, rng.randint(*words)),
            )
            for i in range(paragraphs)
        ],
        batch_size=BATCH,
    )
    return article, list(article.blocks.current())


def large_article(annotator: Annotator, size: dict) -> dict:
    article, blocks = make_article(
        annotator.rng,
        annotator.now,
        LARGE_SLUG,
        "A very long annotated article (benchmark)",
        size["large_paragraphs"],
        translation=True,
    )
    annotator.annotate(
        article,
        blocks,
        total=size["large_annotations"],
        fact_checks=size["large_fact_checks"],
        statuses=None,
        quote_share=0.9,
    )
    return {
        "slug": article.slug,
        "id": article.pk,
        "paragraphs": len(blocks),
        "annotations": size["large_annotations"],
        "fact_checks": size["large_fact_checks"],
    }


def filler_articles(annotator: Annotator, size: dict) -> None:
    """The bulk of the annotations the admin pages list: mixed statuses, pending ones, flagged ones."""
    from annotations.models import Annotation

    S, V = Annotation.Status, Annotation.Visibility
    statuses = [
        ((S.APPROVED, V.PUBLIC), 70),
        ((S.PENDING, V.PUBLIC), 15),
        ((S.REJECTED, V.PUBLIC), 5),
        ((S.HIDDEN, V.PUBLIC), 4),
        ((S.APPROVED, V.PRIVATE), 6),
    ]
    per_article = size["admin_annotations"] // size["filler_articles"]
    for a in range(size["filler_articles"]):
        article, blocks = make_article(
            annotator.rng,
            annotator.now,
            FILLER_SLUG.format(a),
            f"Filler article {a + 1}",
            size["filler_paragraphs"],
            words=(40, 80),
        )
        total = per_article if a < size["filler_articles"] - 1 else size["admin_annotations"] - per_article * a
        annotator.annotate(
            article,
            blocks,
            total=total,
            fact_checks=total // 10,
            statuses=statuses,
            quote_share=0.5,
            tag_share=0.4,
            flagged_share=0.012,
        )


def writes_article(rng: random.Random, now: dt.datetime, size: dict) -> dict:
    """The article the write benchmark annotates: its paragraphs go to the seed's JSON for the load client."""
    article, blocks = make_article(
        rng, now, WRITES_SLUG, "The article the write benchmark annotates", size["write_paragraphs"]
    )
    return {
        "slug": article.slug,
        "id": article.pk,
        "paragraphs": [{"key": b.key, "text": b.text} for b in blocks],
    }
