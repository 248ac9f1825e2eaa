from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from articles.parsing import DocumentError, parse_document, read_document
from articles.services import ImportConflict, import_article


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

    def handle(self, *args, path, slug=None, dry_run=False, draft=False, **options):
        if slug is not None:
            try:
                validate_slug(slug)
            except ValidationError:
                raise CommandError(f"'{slug}' is not a valid slug (letters, numbers, hyphens, underscores)") from None
            if len(slug) > 100:
                raise CommandError("the slug is longer than 100 characters")
        try:
            text = read_document(path, max_bytes=settings.IMPORT_MAX_BYTES)
            parsed = parse_document(text, filename=str(path))
            result = import_article(parsed=parsed, slug=slug, dry_run=dry_run, publish=not draft)
        except (DocumentError, ImportConflict) as exc:
            raise CommandError(str(exc)) from None

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
