import datetime as dt
import gzip
import itertools
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction

# Everything people made: articles, sources, blocks, revisions, annotations,
# evidence, tags, flags, moderation logs, users and groups. Left out: what
# migrations and Django rebuild (content types, permissions) and sessions.
EXCLUDE = {"contenttypes", "auth.permission", "sessions", "admin.logentry"}


class FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder cuts timestamps to milliseconds; a backup keeps microseconds."""

    def default(self, o):
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


def backup_models() -> list:
    app_list = {
        config: None
        for config in apps.get_app_configs()
        if config.models_module is not None and config.label not in EXCLUDE
    }
    models = serializers.sort_dependencies(app_list.items(), allow_cycles=True)
    return [
        model
        for model in models
        if model._meta.label_lower not in EXCLUDE
        and not model._meta.proxy
        and model._meta.managed
        and router.allow_migrate_model("default", model)
    ]


class Command(BaseCommand):
    help = (
        "Write all the site's data to a JSON file (gzip when PATH ends in .gz), with natural keys so it loads "
        "into any freshly migrated database, and timestamps to the microsecond. Restore with "
        "`manage.py restore PATH`. For large PostgreSQL databases pg_dump is faster; this format is portable "
        "between SQLite and PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists; choose a new file name (backups are never overwritten)")
        opener = gzip.open if target.suffix == ".gz" else open
        # one consistent snapshot (a repeatable read on PostgreSQL)
        with transaction.atomic(), opener(target, "wt", encoding="utf-8") as out:
            objects = itertools.chain.from_iterable(
                model._default_manager.order_by(model._meta.pk.name).iterator() for model in backup_models()
            )
            serializers.serialize(
                "json",
                objects,
                stream=out,
                cls=FullPrecisionEncoder,
                use_natural_foreign_keys=True,
                use_natural_primary_keys=True,
            )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target} ({target.stat().st_size:,} bytes)"))
