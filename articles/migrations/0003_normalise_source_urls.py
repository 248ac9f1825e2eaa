"""Source-detail URLs written before they were normalised at input (issue 18) get their stored, valid-URI form."""

from django.db import migrations

from accounts.text import normalise_url

URL_FIELDS = ("original_url", "publisher_url", "copy_url", "archived_url")


def normalise(apps, schema_editor):
    Source = apps.get_model("articles", "Source")
    for row in Source.objects.only(*URL_FIELDS).iterator():
        changed = {name: normalise_url(getattr(row, name)) for name in URL_FIELDS}
        changed = {name: value for name, value in changed.items() if value != getattr(row, name)}
        if changed:
            Source.objects.filter(pk=row.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_articlerevision"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
