"""Text editors stored before the one input-cleaning rule (issue 18) loses its control characters.

Since 0004 the admin and the importer refuse control characters other than tab, line feed and carriage return
(``accounts.text``); rows written before keep what they were given. This removes them from the article fields,
the source details and the revision notes, so every page and export shows text the rule would accept.

Left as they are, and counted: block text (annotations are anchored to it by offsets: removing a character would
move them off their words; an editor corrects the paragraph in the admin, which records a revision and re-anchors).

Rows are read in primary-key pages of ``BATCH`` (never the whole table in memory, and no cursor left open on a
table being written, which SQLite does not isolate) and written back with ``bulk_update``. Reversing is a no-op:
the removed characters are not kept.
"""

from collections import Counter

from django.db import migrations

from accounts.text import without_control_characters

BATCH = 500

CLEANED = {
    "Article": ("title", "dek", "section", "language"),
    "Source": (
        "original_title",
        "original_author",
        "original_language",
        "publisher_name",
        "copy_language",
        "translated_from",
        "translation_notes",
        "rights_note",
        "editorial_notes",
    ),
    "ArticleRevision": ("note",),
}
LEFT = {"Block": ("text",)}


def pages(model, fields):
    """The rows of ``model`` with ``fields`` loaded, BATCH at a time, in primary-key order."""
    last = None
    while True:
        rows = model.objects.order_by("pk").only("pk", *fields)
        if last is not None:
            rows = rows.filter(pk__gt=last)
        rows = list(rows[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def remove_control_characters(apps, schema_editor) -> Counter:
    """Returns what it did, per field (the tests read it; ``migrate`` ignores it)."""
    counts: Counter = Counter()
    for name, fields in CLEANED.items():
        model = apps.get_model("articles", name)
        for rows in pages(model, fields):
            changed = []
            for row in rows:
                touched = False
                for field in fields:
                    value = getattr(row, field) or ""
                    cleaned = without_control_characters(value)
                    if cleaned != value:
                        setattr(row, field, cleaned)
                        counts[f"{name}.{field} cleaned"] += 1
                        touched = True
                if touched:
                    changed.append(row)
            if changed:
                model.objects.bulk_update(changed, fields)
    for name, fields in LEFT.items():
        for rows in pages(apps.get_model("articles", name), fields):
            for row in rows:
                for field in fields:
                    value = getattr(row, field) or ""
                    if without_control_characters(value) != value:
                        counts[f"{name}.{field} left"] += 1
    return counts


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_refuse_control_characters"),
    ]

    operations = [migrations.RunPython(remove_control_characters, migrations.RunPython.noop)]
