"""Data migration annotations 0011 (issue 18): text stored before the one input-cleaning rule loses its control
characters; quotes (anchored by offsets) and the append-only moderation log are left, and counted.

The migration's function runs on rows written straight to the tables (as they were before the rule), with the
real app registry (the pattern of ``tests/annotations/test_urls.py``); ``BATCH`` is lowered so that several
pages are read.
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from annotations.models import Annotation, Evidence, ModerationLog, Tag, TaggedAnnotation
from tests.factories import FlagFactory

pytestmark = pytest.mark.django_db

migration = import_module("annotations.migrations.0011_remove_stored_control_characters")

DIRTY = "One\x0bvertical tab,\ttab kept,\x1b[31m escape, delete\x7f, C1\x85 and\nline kept."
CLEAN = "Onevertical tab,\ttab kept,[31m escape, delete, C1 and\nline kept."


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)


def run():
    return migration.remove_control_characters(apps, None)


def test_stored_control_characters_are_removed_and_tabs_and_line_breaks_kept(
    small_batches, article, make_annotation, moderator
):
    check = make_annotation(article=article, kind="fact_check", quote="Paragraph 1", tags=["economy", "tax"])
    others = [make_annotation(article=article, body=f"Clean note {i}.") for i in range(4)]
    Annotation.objects.filter(pk=check.pk).update(
        body=DIRTY, body_html=f"<p>{DIRTY}</p>", claim="A\x1bclaim", moderation_reason="Reason\x7f."
    )
    Evidence.objects.filter(annotation=check).update(title="Ti\x0btle", excerpt="Ex\x9bcerpt\tkept")
    flag = FlagFactory(annotation=others[0], text="Spam\x07 here", resolution_note="Kept\x1f.")
    Tag.objects.filter(name="tax").update(name="t\x0ba\x1bx\x7fes")

    counts = run()

    check.refresh_from_db()
    assert (check.body, check.body_html, check.claim, check.moderation_reason) == (
        CLEAN,
        f"<p>{CLEAN}</p>",
        "Aclaim",
        "Reason.",
    )
    evidence = Evidence.objects.get(annotation=check)
    assert (evidence.title, evidence.excerpt) == ("Title", "Excerpt\tkept")
    flag.refresh_from_db()
    assert (flag.text, flag.resolution_note) == ("Spam here", "Kept.")
    assert sorted(check.tags.values_list("name", flat=True)) == ["economy", "taxes"]
    assert [a.body for a in Annotation.objects.filter(pk__in=[o.pk for o in others]).order_by("pk")] == [
        f"Clean note {i}." for i in range(4)
    ]
    assert counts == {
        "Annotation.body cleaned": 1,
        "Annotation.body_html cleaned": 1,
        "Annotation.claim cleaned": 1,
        "Annotation.moderation_reason cleaned": 1,
        "Evidence.title cleaned": 1,
        "Evidence.excerpt cleaned": 1,
        "Flag.text cleaned": 1,
        "Flag.resolution_note cleaned": 1,
        "Tag.name cleaned": 1,
    }
    # what was cleaned now passes the validators the forms use
    check.full_clean()
    evidence.full_clean()
    # and a second run finds nothing
    assert run() == {}


def test_quotes_and_the_moderation_log_are_left_and_counted(article, make_annotation, moderator):
    note = make_annotation(article=article, quote="Paragraph 1")
    Annotation.objects.filter(pk=note.pk).update(quote="Para\x1bgraph 1", original_quote="Para\x1bgraph 1")
    ModerationLog.objects.create(
        annotation=note, annotation_ref=note.pk, actor=moderator, action="reject", to_status="rejected", reason="x\x07"
    )

    counts = run()

    note.refresh_from_db()
    assert (note.quote, note.quote_start, note.quote_end) == ("Para\x1bgraph 1", 0, 11)
    assert ModerationLog.objects.get(annotation=note).reason == "x\x07"
    assert counts == {
        "Annotation.quote left": 1,
        "Annotation.original_quote left": 1,
        "ModerationLog.reason left": 1,
    }


def test_a_tag_whose_cleaned_name_exists_is_merged_into_it(article, make_annotation):
    both = make_annotation(article=article, tags=["budget"])
    only_dirty = make_annotation(article=article, tags=["economy"])
    dirty = Tag.objects.create(name="bud\x1bget", slug="bud-get")
    TaggedAnnotation.objects.create(content_object=both, tag=dirty)
    TaggedAnnotation.objects.create(content_object=only_dirty, tag=dirty)

    counts = run()

    assert counts == {"Tag.name merged": 1}
    assert not Tag.objects.filter(pk=dirty.pk).exists()
    assert list(both.tags.values_list("name", flat=True)) == ["budget"]
    assert sorted(only_dirty.tags.values_list("name", flat=True)) == ["budget", "economy"]


def test_a_tag_of_control_characters_only_is_left_and_counted(article):
    Tag.objects.create(name="\x1b\x07", slug="x")
    assert run() == {"Tag.name left": 1}
    assert Tag.objects.filter(name="\x1b\x07").exists()


def test_reversing_is_a_no_op():
    operation = migration.Migration.operations[0]
    assert operation.reversible and operation.reverse_code is operation.noop
