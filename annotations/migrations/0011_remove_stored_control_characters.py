"""Text stored before the one input-cleaning rule (issue 18) loses its control characters.

Since 0009 the forms and services refuse control characters other than tab, line feed and carriage return
(``accounts.text``); rows written before keep what they were given. This removes them from what people wrote
(bodies and their rendered HTML, claims, moderation reasons shown to authors, evidence titles and excerpts, flag
details and resolution notes, tag names), so every page and export shows text the rule would accept.

Left as they are, and counted: quotes and original quotes (anchored to the article's text by offsets: removing a
character would move them off their words), the moderation log (append-only: it records what was said), and a
tag whose name would be left empty. A tag whose cleaned name is another tag's is merged into that tag.

Rows are read in primary-key pages of ``BATCH`` (never the whole table in memory, and no cursor left open on a
table being written, which SQLite does not isolate) and written back with ``bulk_update``. Reversing is a no-op:
the removed characters are not kept.
"""

from collections import Counter

from django.db import migrations

from accounts.text import without_control_characters

BATCH = 500

CLEANED = {
    "Annotation": ("body", "body_html", "claim", "moderation_reason"),
    "Evidence": ("title", "excerpt"),
    "Flag": ("text", "resolution_note"),
}
LEFT = {
    "Annotation": ("quote", "original_quote"),
    "ModerationLog": ("reason",),
}


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


def has_control(value: str) -> bool:
    return without_control_characters(value or "") != (value or "")


def clean_rows(model, fields, counts: Counter) -> None:
    for rows in pages(model, fields):
        changed = []
        for row in rows:
            touched = False
            for name in fields:
                value = getattr(row, name) or ""
                cleaned = without_control_characters(value)
                if cleaned != value:
                    setattr(row, name, cleaned)
                    counts[f"{model.__name__}.{name} cleaned"] += 1
                    touched = True
            if touched:
                changed.append(row)
        if changed:
            model.objects.bulk_update(changed, fields)


def count_rows(model, fields, counts: Counter) -> None:
    for rows in pages(model, fields):
        for row in rows:
            for name in fields:
                if has_control(getattr(row, name)):
                    counts[f"{model.__name__}.{name} left"] += 1


def clean_tags(apps, counts: Counter) -> None:
    Tag = apps.get_model("annotations", "Tag")
    TaggedAnnotation = apps.get_model("annotations", "TaggedAnnotation")
    for rows in pages(Tag, ("name",)):
        for tag in rows:
            if not has_control(tag.name):
                continue
            name = " ".join(without_control_characters(tag.name).split())
            if not name:
                counts["Tag.name left"] += 1
                continue
            same = Tag.objects.filter(name=name).exclude(pk=tag.pk).first()
            if same is None:
                Tag.objects.filter(pk=tag.pk).update(name=name)
                counts["Tag.name cleaned"] += 1
                continue
            # another tag already has the cleaned name: its annotations take that tag
            already = TaggedAnnotation.objects.filter(tag=same).values("content_object_id")
            TaggedAnnotation.objects.filter(tag=tag, content_object_id__in=already).delete()
            TaggedAnnotation.objects.filter(tag=tag).update(tag=same)
            tag.delete()
            counts["Tag.name merged"] += 1


def remove_control_characters(apps, schema_editor) -> Counter:
    """Returns what it did, per field (the tests read it; ``migrate`` ignores it)."""
    counts: Counter = Counter()
    for name, fields in CLEANED.items():
        clean_rows(apps.get_model("annotations", name), fields, counts)
    clean_tags(apps, counts)
    for name, fields in LEFT.items():
        count_rows(apps.get_model("annotations", name), fields, counts)
    return counts


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_normalise_evidence_urls"),
    ]

    operations = [migrations.RunPython(remove_control_characters, migrations.RunPython.noop)]
