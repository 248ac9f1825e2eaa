"""Data migration articles 0005 (issue 18): article fields, source details and revision notes stored before the
one input-cleaning rule lose their control characters; block text (annotations are anchored to it by offsets) is
left, and counted. The migration's function runs with the real app registry on rows written straight to the
tables; ``BATCH`` is lowered so that several pages are read."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from articles.models import Article, ArticleRevision, Block, Source

pytestmark = pytest.mark.django_db

migration = import_module("articles.migrations.0005_remove_stored_control_characters")


def test_stored_control_characters_are_removed_block_text_left(monkeypatch, make_article):
    monkeypatch.setattr(migration, "BATCH", 2)
    articles = [make_article(f"Article {i}", slug=f"a{i}") for i in range(5)]
    dirty = articles[3]
    Article.objects.filter(pk=dirty.pk).update(title="A\x0btitle", dek="Dek\x1b,\tkept\nand kept\x7f.")
    Source.objects.filter(article=dirty).update(publisher_name="Pub\x85lisher", rights_note="CC\x1f BY\r\nline")
    ArticleRevision.objects.create(article=dirty, number=1, source="admin", note="Fixed\x07 a typo.")
    block = dirty.blocks.current().first()
    Block.objects.filter(pk=block.pk).update(text="Para\x1bgraph 1 text.")

    counts = migration.remove_control_characters(apps, None)

    dirty.refresh_from_db()
    assert (dirty.title, dirty.dek) == ("Atitle", "Dek,\tkept\nand kept.")
    source = Source.objects.get(article=dirty)
    assert (source.publisher_name, source.rights_note) == ("Publisher", "CC BY\r\nline")
    assert ArticleRevision.objects.get(article=dirty).note == "Fixed a typo."
    assert Block.objects.get(pk=block.pk).text == "Para\x1bgraph 1 text."
    assert [a.title for a in Article.objects.order_by("pk")] == [
        "Article 0",
        "Article 1",
        "Article 2",
        "Atitle",
        "Article 4",
    ]
    assert counts == {
        "Article.title cleaned": 1,
        "Article.dek cleaned": 1,
        "Source.publisher_name cleaned": 1,
        "Source.rights_note cleaned": 1,
        "ArticleRevision.note cleaned": 1,
        "Block.text left": 1,
    }
    dirty.full_clean()
    source.full_clean()
    assert migration.remove_control_characters(apps, None) == {"Block.text left": 1}


def test_reversing_is_a_no_op():
    operation = migration.Migration.operations[0]
    assert operation.reversible and operation.reverse_code is operation.noop
