"""Annotations whose paragraph was removed before revisions were recorded become orphans.

Until now such annotations simply vanished from the article page (it shows
current paragraphs only); as orphans they are listed to moderators and shown
to readers under "Notes on earlier wording". Reversing leaves them orphaned
(the field goes away with 0004).
"""

from django.db import migrations


def orphan(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    Annotation.objects.filter(block__removed_at__isnull=False, anchor_state="anchored").update(
        anchor_state="orphaned", text_changed=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_anchoring_after_revisions"),
    ]

    operations = [
        migrations.RunPython(orphan, migrations.RunPython.noop),
    ]
