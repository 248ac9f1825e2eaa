# Replies (issue #15): an author's deleted annotation that has answers stays as a placeholder (deleted_at, no
# body), and a reply is a note without a quote.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0014_reply_parent_and_protocol_iris"),
    ]

    operations = [
        migrations.AddField(
            model_name="annotation",
            name="deleted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="annotation",
            name="annotation_body_not_empty",
        ),
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(("body", ""), _negated=True) | models.Q(("deleted_at__isnull", False)),
                name="annotation_body_not_empty",
            ),
        ),
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(("parent__isnull", True)) | models.Q(("kind", "note"), ("quote", "")),
                name="annotation_reply_is_a_note",
            ),
        ),
    ]
