"""Backup and restore: a round trip restores every row exactly, article revisions included."""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import CommandError, call_command

from annotations.models import Annotation, Flag, ModerationLog, Tag
from annotations.services import EvidenceInput, QuoteInput, create_annotation, moderation
from articles.models import Article, ArticleRevision
from articles.services import BlockEdit, revise_blocks

MODELS = [
    "articles.Article",
    "articles.Source",
    "articles.Block",
    "articles.ArticleRevision",
    "annotations.Annotation",
    "annotations.Evidence",
    "annotations.Tag",
    "annotations.TaggedAnnotation",
    "annotations.ModerationLog",
    "annotations.Flag",
    "auth.User",
    "auth.Group",
]


def snapshot() -> list:
    rows = []
    for label in MODELS:
        model = apps.get_model(label)
        data = serializers.serialize(
            "python", model.objects.all(), use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
        for row in data:
            fields = dict(row["fields"])
            if label == "auth.User":
                fields.pop("last_login", None)
            rows.append(
                json.dumps({"model": row["model"], "pk": row.get("pk"), "fields": fields}, sort_keys=True, default=str)
            )
    return sorted(rows)


@pytest.fixture
def populated(make_article, author, other_user, moderator, editor, django_capture_on_commit_callbacks):
    article = make_article("Backed up", slug="backed-up", paragraphs=3)
    check = create_annotation(
        author=author,
        article=article,
        block_key="k001",
        kind="fact_check",
        body="Check *this*",
        quote=QuoteInput(exact="Paragraph 1"),
        verdict="false",
        tags="Translation, tone",
        evidence=[EvidenceInput(url="https://example.org/a", title="A source", excerpt="quoted")],
    )
    note = create_annotation(author=author, article=article, block_key="k002", kind="note", body="Note 😀", tags="tone")
    moderation.approve(annotation=check, actor=moderator)
    moderation.approve(annotation=note, actor=moderator)
    moderation.flag_annotation(annotation=note, reporter=other_user, reason="other", text="why")
    # an editor revises the quoted paragraph: a revision with its changes and the re-anchoring outcomes
    first = article.blocks.get(key="k001")
    revised = revise_blocks(
        article=article,
        edits=[BlockEdit(kind=first.kind, text="Paragraph 1 text, revised.", order=first.position, block=first)],
        actor=editor,
        note="A clause added.",
    )
    assert revised.revision is not None
    return article


def test_round_trip_restores_everything_exactly(populated, tmp_path):
    before = snapshot()
    assert ModerationLog.objects.count() >= 4 and Flag.objects.count() == 1 and Tag.objects.count() == 2
    # the first text (recorded on the first revision) and the editor's revision
    assert list(ArticleRevision.objects.order_by("number").values_list("number", "source")) == [
        (1, "initial"),
        (2, "admin"),
    ]
    revision = ArticleRevision.objects.get(number=2)
    assert revision.changes and revision.outcomes  # the paragraph's edit, and what it did to the fact-check
    check = Annotation.objects.get(kind="fact_check")
    assert check.anchored_revision == revision
    path = tmp_path / "backup.json.gz"
    call_command("backup", str(path))

    # empty the database of everything people made
    Article.objects.all().delete()
    ModerationLog.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.all().delete()
    Group.objects.all().delete()
    assert Annotation.objects.count() == 0 and ArticleRevision.objects.count() == 0

    call_command("restore", str(path))
    after = snapshot()
    differences = []
    for a, b in zip(before, after, strict=True):
        if a != b:
            fa, fb = json.loads(a)["fields"], json.loads(b)["fields"]
            differences.append({k: (fa.get(k), fb.get(k)) for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k)})
    assert not differences, differences[:3]
    assert len(after) == len(before)
    assert ArticleRevision.objects.count() == 2
    restored = ArticleRevision.objects.get(number=2)
    assert (restored.pk, restored.number, restored.note, restored.created_by.username) == (
        revision.pk,
        revision.number,
        "A clause added.",
        "editor",
    )
    assert (restored.changes, restored.outcomes) == (revision.changes, revision.outcomes)
    assert Annotation.objects.get(kind="fact_check").anchored_revision_id == revision.pk


def test_restore_refuses_a_database_with_articles(populated, tmp_path):
    path = tmp_path / "b.json"
    call_command("backup", str(path))
    with pytest.raises(CommandError, match="already holds articles"):
        call_command("restore", str(path))


def test_backup_never_overwrites(populated, tmp_path):
    path = tmp_path / "b.json"
    path.write_text("keep me")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(path))
    assert path.read_text() == "keep me"


@pytest.mark.parametrize(
    "content", [b"not json", b'[{"model": "nope.nope", "fields": {}}]', b"[1, 2", b"\x00\x01binary"]
)
def test_restore_refuses_what_is_not_a_backup(db, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("restore", str(path))
    assert Article.objects.count() == 0
