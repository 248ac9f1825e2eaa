"""Importing a parsed document onto stable block keys (``import_article``).

Records an article revision and re-anchors the article's annotations in the
import's own transaction (``articles.revisions.record_revision``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from accounts.text import normalise_url
from articles import revisions
from articles.models import Article, ArticleRevision, Block, Source
from articles.parsing import ParsedArticle
from articles.planning import BlockPlan, plan_blocks
from articles.services.blocks import write_blocks

SLUG_MAX_LENGTH = 100


class ImportConflict(ValueError):
    """The import would clobber another article; nothing was written."""


@dataclass
class ImportResult:
    article: Article
    created: bool
    dry_run: bool
    article_changes: list[str] = field(default_factory=list)
    added: list[BlockPlan] = field(default_factory=list)
    edited: list[BlockPlan] = field(default_factory=list)
    moved: list[BlockPlan] = field(default_factory=list)
    unchanged: list[BlockPlan] = field(default_factory=list)
    removed: list[Block] = field(default_factory=list)
    source_filled: list[str] = field(default_factory=list)
    revision: ArticleRevision | None = None  # None for a dry run or when no block changed

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.article_changes
            or self.added
            or self.edited
            or self.moved
            or self.removed
            or self.source_filled
        )

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "was"
        if self.created:
            head = f"'{self.article.slug}' {verb} created"
        elif self.changed:
            head = f"'{self.article.slug}' {verb} updated"
        else:
            return f"'{self.article.slug}' is up to date: nothing to change"
        text = (
            f"{head}: {len(self.added)} blocks added, {len(self.edited)} edited, {len(self.moved)} moved, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )
        if self.revision is not None and not self.created:
            text += f"; revision {self.revision.number}, annotations: {self.revision.annotation_summary()}"
        return text


def identity_of(parsed: ParsedArticle) -> str:
    """What makes two files the same document across revisions."""
    if parsed.source.original_url:
        return f"url:{parsed.source.original_url}"
    return f"title:{parsed.title.casefold()}"


def slug_for(title: str) -> str:
    slug = slugify(title)[:SLUG_MAX_LENGTH].rstrip("-")
    if len(slugify(title)) > SLUG_MAX_LENGTH and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug or "article"


def import_article(
    *,
    parsed: ParsedArticle,
    slug: str | None = None,
    dry_run: bool = False,
    publish: bool = True,
    revised_by=None,
    note: str = "",
) -> ImportResult:
    """Create or update an article from a parsed document, in one transaction.

    Idempotent: importing the same document twice changes nothing the second
    time. Source details an editor has filled in are never overwritten; the
    file only fills empty ones. When blocks change, an article revision is
    recorded (by ``revised_by``, with ``note``) and every annotation is
    re-anchored in the same transaction. Raises ``ImportConflict`` when the
    slug belongs to a different article.
    """
    identity = identity_of(parsed)
    with transaction.atomic():
        article = _find_target(identity=identity, slug=slug, title=parsed.title)
        created = article.pk is None
        result = ImportResult(article=article, created=created, dry_run=dry_run)
        _apply_article_fields(article, parsed, identity, publish, result)

        existing = list(article.blocks.current()) if not created else []
        removed = list(article.blocks.filter(removed_at__isnull=False)) if not created else []
        plan, to_remove = plan_blocks(existing, removed, parsed.blocks)
        for item in plan:
            if item.is_new:
                result.added.append(item)
            elif item.block.removed_at is not None or item.text_changed:
                result.edited.append(item)
            elif item.moved:
                result.moved.append(item)
            else:
                result.unchanged.append(item)
        result.removed = to_remove

        source = article.source if not created and hasattr(article, "source") else Source()
        _fill_source(source, parsed, result)

        if dry_run or not result.changed:
            transaction.set_rollback(True)
            return result

        if created or result.article_changes:
            article.save()
        source.article = article
        if source.pk is None or result.source_filled:
            source.save()
        before = revisions.snapshot(article) if not created else {}
        write_blocks(article, plan, to_remove)
        result.revision = revisions.record_revision(
            article=article, before=before, source=ArticleRevision.Origin.IMPORT, actor=revised_by, note=note
        )
        return result


def _find_target(*, identity: str, slug: str | None, title: str) -> Article:
    if slug:
        article = Article.objects.select_for_update().filter(slug=slug).first()
        if article is not None and article.import_identity != identity:
            raise ImportConflict(
                f"the slug '{slug}' belongs to another article ('{article.title}'); choose another with --slug"
            )
        if article is None:
            elsewhere = Article.objects.filter(import_identity=identity).first()
            if elsewhere is not None:
                raise ImportConflict(
                    f"this document was already imported as '{elsewhere.slug}'; re-import it without --slug"
                )
        return article or Article(slug=slug)
    article = Article.objects.select_for_update().filter(import_identity=identity).first()
    if article is not None:
        return article
    derived = slug_for(title)
    other = Article.objects.filter(slug=derived).first()
    if other is not None:
        raise ImportConflict(
            f"the slug '{derived}' belongs to another article ('{other.title}'); choose another with --slug"
        )
    return Article(slug=derived)


def _apply_article_fields(article: Article, parsed: ParsedArticle, identity: str, publish: bool, result: ImportResult):
    wanted = {
        "title": parsed.title,
        "section": parsed.section,
        "published_on": parsed.published_on,
        "import_identity": identity,
    }
    if article.pk is None:
        wanted["language"] = parsed.language
        wanted["status"] = Article.Status.PUBLISHED if publish else Article.Status.DRAFT
    for name, value in wanted.items():
        if getattr(article, name) != value:
            if article.pk is not None:
                result.article_changes.append(name)
            setattr(article, name, value)


def _fill_source(source: Source, parsed: ParsedArticle, result: ImportResult) -> None:
    facts = {
        # stored as a valid URI, as the admin stores it (Source.clean_fields); the import identity keeps the file's text
        "original_url": normalise_url(parsed.source.original_url),
        "publisher_name": parsed.source.publisher_name,
        "copy_published_on": parsed.source.copy_published_on,
        "copy_language": parsed.language,
    }
    for name, value in facts.items():
        if value and not getattr(source, name):
            setattr(source, name, value)
            if source.pk is not None:
                result.source_filled.append(name)
