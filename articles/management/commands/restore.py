import gzip
import shutil
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import transaction

from articles.models import Article


class Command(BaseCommand):
    help = (
        "Load a backup made by `manage.py backup` into this (freshly migrated, empty) database, in one "
        "transaction: all of it or nothing. Refuses a database that already holds articles unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="load even if the database is not empty")

    def handle(self, *args, path, force=False, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"no such backup file: {source}")
        if Article.objects.exists() and not force:
            raise CommandError(
                "this database already holds articles; restore into an empty, migrated database (or --force)"
            )
        opener = gzip.open if source.suffix == ".gz" else open
        # The data migration created the role groups; the backup's groups
        # (natural key: name) update them in place.
        with tempfile.NamedTemporaryFile("wb", suffix=".json") as plain:
            try:
                with opener(source, "rb") as handle:
                    head = handle.read(200)
                    if not head.lstrip().startswith(b"[") or b"\x00" in head:
                        raise CommandError(f"{source} is not a backup made by `manage.py backup`")
                    plain.write(head)
                    shutil.copyfileobj(handle, plain)
            except OSError as exc:
                raise CommandError(f"{source} cannot be read: {exc}") from None
            plain.flush()
            try:
                with transaction.atomic():
                    call_command("loaddata", plain.name, verbosity=0)
            except DeserializationError as exc:
                raise CommandError(f"{source} could not be loaded; nothing was restored: {exc}") from None
        count = Article.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Restored {source}: {count} article{'s' if count != 1 else ''}"))
