"""Annotation.edited_at: "(edited)" on a card means its words changed, not that a moderator decided on it.

Until now the card said "(edited)" whenever updated_at differed from created_at, which every approval,
rejection and re-anchoring also moves. The backfill keeps the mark only where the row changed after
its last moderation decision (or was never moderated and changed after it was created): the best the
old rows can tell.
"""

from datetime import timedelta

from django.db import migrations, models

SLACK = timedelta(seconds=1)  # a create or a decision writes updated_at a moment after its own timestamp


def backfill(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    batch = []
    rows = Annotation.objects.only("pk", "created_at", "updated_at", "moderated_at").order_by("pk")
    for row in rows.iterator(chunk_size=2000):
        since = max(row.created_at, row.moderated_at or row.created_at)
        if row.updated_at - since > SLACK:
            row.edited_at = row.updated_at
            batch.append(row)
        if len(batch) >= 2000:
            Annotation.objects.bulk_update(batch, ["edited_at"])
            batch = []
    if batch:
        Annotation.objects.bulk_update(batch, ["edited_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0005_orphan_annotations_on_removed_blocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="annotation",
            name="edited_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
