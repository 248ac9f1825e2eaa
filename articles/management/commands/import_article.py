from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction

from articles.models import ArticleRevision, OriginalRights, OriginalText
from articles.parsing import DocumentError, parse_document, read_document
from articles.services import ImportConflict, import_article
from articles.services.originals import attach_original


class Command(BaseCommand):
    help = (
        "Import an article from a text file in the house format (headline, '#Section ·YYYY-MM-DD', "
        "paragraphs, 'Blog link: URL', page furniture) or from Markdown. Re-importing updates the "
        "article in place on stable paragraph keys; nothing is written when anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import (UTF-8 text or Markdown)")
        parser.add_argument("--slug", help="the article's slug (default: from the title, or the existing article)")
        parser.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
        parser.add_argument("--draft", action="store_true", help="create the article as a draft (default: published)")
        parser.add_argument(
            "--original",
            metavar="ORIGINAL_PATH",
            help="the original work's text (house format, Markdown or plain text), stored beside the copy and "
            "aligned with it; re-importing a revised original updates it on stable paragraph keys",
        )
        parser.add_argument(
            "--original-rights",
            choices=OriginalRights.values,
            help="who may read the original: readers (full text), excerpts (the passages published fact-checks "
            "cite), editors (default for a new original: editors)",
        )
        parser.add_argument(
            "--original-passages",
            action="store_true",
            help="the original file holds passages only, not the whole work",
        )

    def handle(self, *args, path, slug=None, dry_run=False, draft=False, original=None, **options):
        if slug is not None:
            try:
                validate_slug(slug)
            except ValidationError:
                raise CommandError(f"'{slug}' is not a valid slug (letters, numbers, hyphens, underscores)") from None
            if len(slug) > 100:
                raise CommandError("the slug is longer than 100 characters")
        attached = None
        try:
            text = read_document(path, max_bytes=settings.IMPORT_MAX_BYTES)
            parsed = parse_document(text, filename=str(path))
            original_text = read_document(original, max_bytes=settings.IMPORT_MAX_BYTES) if original else None
            # the copy and its original in one transaction: a refused original leaves the copy unwritten too
            with transaction.atomic():
                # with an original, a dry run writes both and rolls the whole back (the original needs the row)
                result = import_article(
                    parsed=parsed, slug=slug, dry_run=dry_run and original_text is None, publish=not draft
                )
                result.dry_run = dry_run
                if original_text is not None:
                    attached = attach_original(
                        article=result.article,
                        text=original_text,
                        filename=str(original),
                        rights=options.get("original_rights"),
                        coverage=OriginalText.Coverage.PASSAGES if options.get("original_passages") else None,
                        origin=ArticleRevision.Origin.IMPORT,
                    )
                if dry_run:
                    transaction.set_rollback(True)
        except (DocumentError, ImportConflict) as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(f"{original}: {' '.join(exc.messages)} Nothing was imported.") from None

        verbosity = options.get("verbosity", 1)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        self.stdout.write(
            f"{parsed.title}\n  format: {parsed.format}; section: {parsed.section or '-'}; "
            f"date: {parsed.published_on or '-'}; {len(parsed.paragraphs)} paragraphs, "
            f"{len(parsed.headings)} headings, {len(parsed.blocks)} blocks in all"
        )
        if parsed.dropped:
            self.stdout.write(f"  dropped {len(parsed.dropped)} lines of page furniture")
        if result.article_changes:
            self.stdout.write(f"  article fields changed: {', '.join(result.article_changes)}")
        if result.source_filled:
            self.stdout.write(f"  source details filled: {', '.join(result.source_filled)}")
        if verbosity > 1 or dry_run:
            for label, items in (("add", result.added), ("edit", result.edited), ("move", result.moved)):
                for item in items:
                    self.stdout.write(f"  {label} {item.kind} p-{item.key} at {item.position}: {item.text[:60]}")
            for block in result.removed:
                self.stdout.write(f"  remove {block.kind} p-{block.key}: {block.text[:60]}")
        style = self.style.SUCCESS if result.changed and not dry_run else self.style.NOTICE
        self.stdout.write(style(result.summary()))
        if attached is not None:
            style = self.style.SUCCESS if attached.changed and not dry_run else self.style.NOTICE
            self.stdout.write(style(("(dry run) " if dry_run else "") + attached.summary()))
