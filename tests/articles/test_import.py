"""The import_article command and the block-revision services: stable keys, no deletions, nothing written on error."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from articles.demo import SAMPLE_PATH
from articles.models import Article, Block, Source
from articles.parsing import parse_document
from articles.services import BlockEdit, revise_blocks
from tests.articles.helpers import (
    DELETED,
    EDITED_NEW,
    EDITED_OLD,
    FIRST,
    INSERTED,
    SAMPLE_SLUG,
    SAMPLE_TEXT,
    SAMPLE_TITLE,
    revised_sample,
    write,
)

pytestmark = pytest.mark.django_db


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_article", str(path), *args, stdout=out, stderr=err)
    return out.getvalue()


def counts():
    return Article.objects.count(), Block.objects.count(), Source.objects.count()


def snapshot():
    blocks = Block.objects.order_by("pk").values_list(
        "pk", "article_id", "key", "position", "kind", "text", "updated_at", "removed_at"
    )
    articles = Article.objects.order_by("pk").values_list("pk", "slug", "title", "status", "updated_at")
    sources = Source.objects.order_by("pk").values_list("pk", "publisher_name", "original_url", "updated_at")
    return list(articles), list(sources), list(blocks)


# ---------------------------------------------------------------- first import


def test_import_sample_creates_article_source_and_blocks():
    out = run(SAMPLE_PATH)

    article = Article.objects.get()
    assert article.title == SAMPLE_TITLE
    assert article.slug == SAMPLE_SLUG
    assert article.section == "News"
    assert article.published_on == dt.date(2025, 1, 6)
    assert article.language == "en"
    assert article.is_published
    assert article.import_identity == "url:https://blog.samaltman.com/reflections"

    source = article.source
    assert source.publisher_name == "Quantum (Shanghai) Artificial Intelligence Technology Co., Ltd."
    assert source.original_url == "https://blog.samaltman.com/reflections"
    assert source.copy_published_on == dt.date(2025, 1, 6)

    blocks = list(article.blocks.current())
    assert len(blocks) == 39
    assert [b.position for b in blocks] == list(range(1, 40))
    assert len({b.key for b in blocks}) == 39
    assert sum(b.kind == Block.Kind.PARAGRAPH for b in blocks) == 37
    assert [b.text for b in blocks if b.kind == Block.Kind.HEADING] == ["reflection"]
    assert sum(b.kind == Block.Kind.IMAGE for b in blocks) == 1
    assert blocks[0].text == FIRST
    assert "created" in out
    assert "37 paragraphs, 1 headings, 39 blocks" in out


def test_imported_blocks_hold_no_page_furniture():
    run(SAMPLE_PATH)
    for needle in ["13004184443", "gcfai@dongfangyuzhe.com", "ICP", "Hongjing", "friend link", "TAGS:"]:
        assert not Block.objects.filter(text__icontains=needle).exists(), needle


def test_draft_option_creates_a_draft(tmp_path):
    run(SAMPLE_PATH, "--draft")
    assert Article.objects.get().status == Article.Status.DRAFT


def test_slug_option_sets_the_slug():
    run(SAMPLE_PATH, "--slug", "altman-reflections")
    assert Article.objects.get().slug == "altman-reflections"


def test_markdown_file_imports(tmp_path):
    path = write(tmp_path, "# A Markdown article\n\nFirst paragraph.\n\n## Heading\n\nSecond *paragraph*.\n", "a.md")
    run(path)
    article = Article.objects.get(slug="a-markdown-article")
    assert [(b.kind, b.text) for b in article.blocks.current()] == [
        ("paragraph", "First paragraph."),
        ("heading", "Heading"),
        ("paragraph", "Second paragraph."),
    ]


# ---------------------------------------------------------------- re-import


def test_reimport_of_the_same_file_writes_nothing():
    run(SAMPLE_PATH)
    before, before_counts = snapshot(), counts()

    out = run(SAMPLE_PATH)

    assert snapshot() == before
    assert counts() == before_counts
    assert "up to date" in out


def test_reimport_of_a_revised_file_keeps_keys_and_rows(tmp_path):
    run(SAMPLE_PATH)
    article = Article.objects.get()
    old = {b.text: b for b in article.blocks.current()}
    edited_old, deleted_old = old[EDITED_OLD], old[DELETED]

    path = write(tmp_path, revised_sample())
    out = run(path)

    current = list(article.blocks.current())
    # positions 1..n in file order
    assert [(b.kind, b.text) for b in current] == [(b.kind, b.text) for b in parse_document(revised_sample()).blocks]
    assert [b.position for b in current] == list(range(1, 40))
    by_text = {b.text: b for b in current}
    # unchanged blocks keep key and row
    for text, block in old.items():
        if text in (EDITED_OLD, DELETED):
            continue
        assert by_text[text].pk == block.pk
        assert by_text[text].key == block.key
    # the edited paragraph keeps its key and row, with the new text
    edited = by_text[EDITED_NEW]
    assert (edited.pk, edited.key) == (edited_old.pk, edited_old.key)
    assert EDITED_OLD not in by_text
    # the inserted paragraph is new, with a key of its own, near the top
    inserted = by_text[INSERTED]
    assert inserted.position == 2
    assert inserted.key not in {b.key for b in old.values()}
    # the deleted paragraph is kept, marked removed
    deleted_old.refresh_from_db()
    assert deleted_old.removed_at is not None
    assert deleted_old.position is None
    assert deleted_old.text == DELETED
    assert not Block.objects.current().filter(pk=deleted_old.pk).exists()
    assert Block.objects.filter(article=article).count() == 40
    assert "1 blocks added, 1 edited" in out and "1 removed" in out


def test_reimport_after_revision_is_idempotent(tmp_path):
    run(SAMPLE_PATH)
    path = write(tmp_path, revised_sample())
    run(path)
    before = snapshot()
    assert "up to date" in run(path)
    assert snapshot() == before


def test_restored_paragraph_gets_its_old_row_and_key_back(tmp_path):
    run(SAMPLE_PATH)
    original = Block.objects.get(text=DELETED)
    run(write(tmp_path, SAMPLE_TEXT.replace(DELETED + "\n", "", 1)))
    original.refresh_from_db()
    assert original.removed_at is not None

    run(SAMPLE_PATH)

    original.refresh_from_db()
    assert original.removed_at is None
    assert original.position == 14
    assert Block.objects.filter(text=DELETED).count() == 1
    assert Block.objects.current().count() == 39


def test_paragraph_inserted_directly_above_an_edited_one_does_not_take_its_key(tmp_path):
    """A new paragraph placed right before an edited one must not inherit the edited paragraph's key.

    The new paragraph shares some words with the old one (about 0.39 similar), the edited paragraph is
    about 0.95 similar to it: the edited paragraph, not the newcomer, is the edit of the old one.
    """
    run(SAMPLE_PATH)
    edited_old = Block.objects.get(text=EDITED_OLD)
    newcomer = "In those early days, hardly anyone outside the field paid attention to what we were trying to do."
    text = SAMPLE_TEXT.replace(EDITED_OLD, f"{newcomer}\n\n{EDITED_NEW}")

    run(write(tmp_path, text))

    edited = Block.objects.get(text=EDITED_NEW)
    inserted = Block.objects.get(text=newcomer)
    assert (edited.pk, edited.key) == (edited_old.pk, edited_old.key)
    assert inserted.key != edited_old.key
    assert inserted.position == edited.position - 1


def test_paragraphs_swapped_in_a_revised_file_keep_their_keys_and_rows(tmp_path):
    """Moving a paragraph is not an edit: its text is unchanged, so it keeps its key (and its annotations)."""
    run(SAMPLE_PATH)
    lines = SAMPLE_TEXT.split("\n")
    a, b = lines.index(EDITED_OLD), lines.index(DELETED)
    lines[a], lines[b] = lines[b], lines[a]
    before = {blk.text: (blk.pk, blk.key) for blk in Block.objects.current()}

    run(write(tmp_path, "\n".join(lines)))

    after = {blk.text: (blk.pk, blk.key) for blk in Block.objects.current()}
    assert after == before
    assert Block.objects.count() == 39
    assert not Block.objects.filter(removed_at__isnull=False).exists()


# ---------------------------------------------------------------- dry run


def test_dry_run_on_a_new_file_writes_nothing(article):
    before, before_counts = snapshot(), counts()

    out = run(SAMPLE_PATH, "--dry-run")

    assert counts() == before_counts
    assert snapshot() == before
    assert "Dry run: nothing was written." in out
    assert "would be created" in out
    assert "add paragraph p-" in out and FIRST in out


def test_dry_run_on_a_revised_file_writes_nothing(tmp_path):
    run(SAMPLE_PATH)
    before, before_counts = snapshot(), counts()

    out = run(write(tmp_path, revised_sample()), "--dry-run")

    assert counts() == before_counts
    assert snapshot() == before
    assert "would be updated" in out
    assert "add paragraph p-" in out and INSERTED[:60] in out
    key = Block.objects.get(text=EDITED_OLD).key
    assert f"edit paragraph p-{key}" in out
    assert f"remove paragraph p-{Block.objects.get(text=DELETED).key}" in out


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"   \n\n\t\n", "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait\n\nA paragraph.\n", "UTF-8"),
        (b"#News \xc2\xb72025-01-06\n\nA paragraph of text.\n", "no title"),
        (b"A headline\n\n#News \xc2\xb72025-13-45\n\nA paragraph of text.\n", "not a valid date"),
    ],
    ids=["missing", "empty", "whitespace", "binary", "latin-1", "no-title", "bad-date"],
)
def test_bad_file_raises_command_error_and_writes_nothing(tmp_path, article, content, expected):
    path = tmp_path / "bad.txt"
    if content is not None:
        path.write_bytes(content)
    before, before_counts = snapshot(), counts()

    with pytest.raises(CommandError) as exc_info:
        run(path)

    message = str(exc_info.value)
    assert expected in message
    assert "\n" not in message
    assert counts() == before_counts
    assert snapshot() == before


def test_file_over_the_size_limit_is_refused(article):
    before_counts = counts()
    with override_settings(IMPORT_MAX_BYTES=1000), pytest.raises(CommandError) as exc_info:
        run(SAMPLE_PATH)
    assert "limit" in str(exc_info.value)
    assert "\n" not in str(exc_info.value)
    assert counts() == before_counts


@pytest.mark.parametrize("slug", ["not a slug", "slash/in/it", "x" * 101])
def test_invalid_slug_is_refused(article, slug):
    before_counts = counts()
    with pytest.raises(CommandError) as exc_info:
        run(SAMPLE_PATH, "--slug", slug)
    assert "slug" in str(exc_info.value)
    assert counts() == before_counts


def test_slug_owned_by_another_article_is_refused(make_article):
    taken = make_article("Someone else's article", slug="taken")
    before, before_counts = snapshot(), counts()

    with pytest.raises(CommandError) as exc_info:
        run(SAMPLE_PATH, "--slug", "taken")

    message = str(exc_info.value)
    assert "'taken'" in message and "another article" in message
    assert "\n" not in message
    assert counts() == before_counts
    assert snapshot() == before
    assert Article.objects.get(pk=taken.pk).title == "Someone else's article"


def test_derived_slug_owned_by_a_hand_made_article_is_refused(make_article):
    make_article("A hand-made article", slug=SAMPLE_SLUG)
    before, before_counts = snapshot(), counts()

    with pytest.raises(CommandError) as exc_info:
        run(SAMPLE_PATH)

    assert SAMPLE_SLUG in str(exc_info.value)
    assert counts() == before_counts
    assert snapshot() == before


def test_second_slug_for_an_imported_document_is_refused():
    run(SAMPLE_PATH)
    before_counts = counts()
    with pytest.raises(CommandError) as exc_info:
        run(SAMPLE_PATH, "--slug", "another-slug")
    assert SAMPLE_SLUG in str(exc_info.value)
    assert counts() == before_counts


# ---------------------------------------------------------------- editing through the service


def test_revise_blocks_reorders_edits_adds_and_removes(make_article):
    article = make_article(paragraphs=4)
    b1, b2, b3, b4 = article.blocks.current()
    keys = {b.pk: b.key for b in (b1, b2, b3, b4)}

    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=b1.text, order=2, block=b1),
            BlockEdit(kind="paragraph", text=b2.text, order=1, block=b2),
            BlockEdit(kind="paragraph", text="Paragraph 3 text, edited.", order=3, block=b3),
            BlockEdit(kind="paragraph", text=b4.text, order=4, block=b4, remove=True),
            BlockEdit(kind="heading", text="A new heading", order=5),
        ],
    )

    current = list(article.blocks.current())
    assert [b.pk for b in current[:3]] == [b2.pk, b1.pk, b3.pk]
    assert [b.position for b in current] == [1, 2, 3, 4]
    assert all(b.key == keys[b.pk] for b in current[:3])
    assert current[2].text == "Paragraph 3 text, edited."
    new = current[3]
    assert (new.kind, new.text) == ("heading", "A new heading")
    assert new.key not in keys.values()
    b4.refresh_from_db()
    assert b4.removed_at is not None and b4.position is None
    assert Block.objects.filter(article=article).count() == 5


def test_reimport_after_an_editor_reorder_restores_file_order_on_the_same_rows():
    run(SAMPLE_PATH)
    article = Article.objects.get()
    blocks = list(article.blocks.current())
    first, second = blocks[0], blocks[1]
    revise_blocks(
        article=article,
        edits=[BlockEdit(kind=b.kind, text=b.text, order=b.position, block=b) for b in blocks[2:]]
        + [
            BlockEdit(kind=first.kind, text=first.text, order=3.5, block=first),
            BlockEdit(kind=second.kind, text=second.text, order=0, block=second),
        ],
    )
    reordered = list(article.blocks.current())
    assert [b.pk for b in reordered[:4]] == [second.pk, blocks[2].pk, first.pk, blocks[3].pk]
    assert [b.position for b in reordered] == list(range(1, 40))

    out = run(SAMPLE_PATH)

    restored = list(article.blocks.current())
    assert [(b.pk, b.key) for b in restored] == [(b.pk, b.key) for b in blocks]
    assert [b.position for b in restored] == list(range(1, 40))
    assert Block.objects.count() == 39
    assert "0 blocks added" in out and "0 removed" in out
