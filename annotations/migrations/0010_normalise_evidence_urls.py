"""Evidence URLs written before they were normalised at input (issue 18) get their stored, valid-URI form."""

from django.db import migrations

from accounts.text import normalise_url


def normalise(apps, schema_editor):
    Evidence = apps.get_model("annotations", "Evidence")
    for row in Evidence.objects.only("url", "archived_url").iterator():
        url, archived = normalise_url(row.url), normalise_url(row.archived_url)
        if (url, archived) != (row.url, row.archived_url):
            Evidence.objects.filter(pk=row.pk).update(url=url, archived_url=archived)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0009_refuse_control_characters"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
