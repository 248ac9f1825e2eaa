"""The original's text beside a copy (issue 19): attaching, revising, bad input, corrections on stable keys."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from articles.alignment import ADDED, MERGED, OMITTED, REWORDED, SAME, SPLIT
from articles.models import (
    AlignmentCorrection,
    Article,
    Block,
    OriginalBlock,
    OriginalRevision,
    OriginalRights,
    OriginalText,
    Source,
)
from articles.parsing import DocumentError, parse_original
from articles.selectors import original_alignment
from articles.services import BlockEdit, revise_blocks
from articles.services.originals import attach_original, delete_correction, save_correction

pytestmark = pytest.mark.django_db

HARBOUR = "The harbour opened in 1887 after ten years of dredging, and the first ship to dock carried coal from Wales."
MARKET = "Every Saturday the market fills the square with farmers selling cheese, apples, honey and warm bread."
SCHOOL = "The village school has two classrooms, a garden the pupils plant each spring, and a library of old atlases."
RIVER = "Floods used to reach the church steps until the river was widened and a stone wall was built along it."
FESTIVAL = "In August a music festival brings brass bands from the whole valley to play on a stage by the lake."
ORIGINAL = "\n\n".join([HARBOUR, MARKET, SCHOOL, RIVER, FESTIVAL])

# the copy: harbour the same, market reworded, school split in two, river and festival merged, an added lead
LEAD = "Our correspondent visited a small town last week and sends this report about its daily life."
COPY = [
    LEAD,
    HARBOUR,
    "Every Saturday the market fills the town square with farmers who sell cheese, apples and fresh bread.",
    "The village school has two classrooms and a garden the pupils plant each spring.",
    "It also has a library of old atlases.",
    RIVER.rstrip(".") + ", and " + FESTIVAL[0].lower() + FESTIVAL[1:],
]


@pytest.fixture
def copy_article(make_article, set_text):
    article = make_article("A small town", slug="small-town", paragraphs=len(COPY))
    for i, text in enumerate(COPY, start=1):
        set_text(article, f"k{i:03d}", text)
    return article


def kinds(found) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [(p.kind, p.copy, p.original) for p in found.alignment.pairs]


# ---------------------------------------------------------------- parsing


def test_plain_text_is_paragraphs_separated_by_blank_lines():
    parsed = parse_original("First paragraph,\nwrapped.\n\nA Heading\n\nSecond paragraph.\n")
    assert [(b.kind, b.text) for b in parsed.blocks] == [
        ("paragraph", "First paragraph, wrapped."),
        ("heading", "A Heading"),
        ("paragraph", "Second paragraph."),
    ]
    assert parse_original("One a line.\nTwo a line.").format == "text"
    assert len(parse_original("One a line.\nTwo a line.").blocks) == 2


def test_markdown_keeps_its_title_apart():
    parsed = parse_original("# The title\n\nA paragraph.\n\n## A heading\n\nAnother.", filename="o.md")
    assert parsed.title == "The title"
    assert [b.text for b in parsed.blocks] == ["A paragraph.", "A heading", "Another."]


@pytest.mark.parametrize("text", ["", "   \n\n  ", "图片\n"])
def test_empty_original_is_refused(text):
    with pytest.raises(DocumentError):
        parse_original(text)


# ---------------------------------------------------------------- attaching


def test_attach_original_stores_blocks_a_revision_and_bumps_the_version(copy_article, editor):
    source = copy_article.source
    before = source.updated_at
    result = attach_original(article=copy_article, text=ORIGINAL, actor=editor, rights=OriginalRights.READERS)
    assert result.created and result.changed
    original = OriginalText.objects.get(article=copy_article)
    assert [b.text for b in original.blocks.current()] == [HARBOUR, MARKET, SCHOOL, RIVER, FESTIVAL]
    revision = OriginalRevision.objects.get(original=original)
    assert revision.number == 1 and revision.blocks_added == 5
    source.refresh_from_db()
    assert source.original_rights == OriginalRights.READERS and source.updated_at > before
    version = original.version

    # the same text again changes nothing
    again = attach_original(article=copy_article, text=ORIGINAL, actor=editor)
    assert not again.changed
    assert OriginalRevision.objects.count() == 1
    original.refresh_from_db()
    assert original.version == version


def test_a_revised_original_keeps_the_keys_of_its_paragraphs(copy_article, editor):
    attach_original(article=copy_article, text=ORIGINAL)
    original = OriginalText.objects.get()
    keys = {b.text: b.key for b in original.blocks.current()}
    revised = "\n\n".join([HARBOUR, MARKET.replace("warm bread", "warm rye bread"), RIVER, SCHOOL, FESTIVAL])
    result = attach_original(article=copy_article, text=revised, actor=editor, note="typo")
    assert result.revision.number == 2 and result.revision.blocks_edited == 1
    now = list(original.blocks.current())
    assert [b.key for b in now] == [keys[HARBOUR], keys[MARKET], keys[RIVER], keys[SCHOOL], keys[FESTIVAL]]
    assert now[1].text.endswith("warm rye bread.")
    # the first text can be read back from the revisions (revisions.text_at)
    from articles.revisions import text_at

    first = text_at(list(OriginalRevision.objects.filter(number=1)))
    assert [b.text for b in first] == [HARBOUR, MARKET, SCHOOL, RIVER, FESTIVAL]


def test_an_original_identical_to_the_copy_is_refused_and_nothing_written(copy_article):
    with pytest.raises(ValidationError, match="identical to the copy"):
        attach_original(article=copy_article, text="\n\n".join(COPY))
    assert not OriginalText.objects.exists() and not OriginalBlock.objects.exists()


def test_control_characters_are_refused(copy_article):
    with pytest.raises(ValidationError, match="control character"):
        attach_original(article=copy_article, text="A paragraph\x07 with a bell.")
    assert not OriginalText.objects.exists()


# ---------------------------------------------------------------- the import command


def run(*args):
    out = StringIO()
    call_command("import_article", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


COPY_FILE = "# A small town\n\n" + "\n\n".join(COPY) + "\n"


def test_import_with_original(tmp_path):
    out = run(
        write(tmp_path, "copy.md", COPY_FILE),
        "--original",
        write(tmp_path, "original.md", "# Town life\n\n" + ORIGINAL),
        "--original-rights",
        "excerpts",
    )
    assert "original attached: 5 blocks" in out
    article = Article.objects.get()
    assert article.source.original_rights == OriginalRights.EXCERPTS
    assert article.source.original_title == "Town life"
    assert article.original.blocks.current().count() == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Le marché du samedi, où l'on vend du fromage.".encode("latin-1"), "not valid UTF-8"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("   \n\n", "white space"),
        (COPY_FILE, "identical to the copy"),
    ],
    ids=["latin-1", "empty", "binary", "blank", "identical"],
)
def test_bad_originals_are_refused_and_nothing_is_written(tmp_path, data, message):
    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, "copy.md", COPY_FILE), "--original", write(tmp_path, "original.md", data))
    assert not Article.objects.exists() and not Block.objects.exists() and not Source.objects.exists()
    assert not OriginalText.objects.exists() and not OriginalBlock.objects.exists()


def test_dry_run_with_original_writes_nothing(tmp_path):
    out = run(write(tmp_path, "copy.md", COPY_FILE), "--original", write(tmp_path, "o.txt", ORIGINAL), "--dry-run")
    assert "Dry run" in out and "original attached" in out
    assert not Article.objects.exists() and not OriginalText.objects.exists()


# ---------------------------------------------------------------- alignment and corrections


def test_the_stored_pair_aligns_every_kind(copy_article):
    attach_original(article=copy_article, text=ORIGINAL)
    found = original_alignment(article=copy_article)
    assert kinds(found) == [
        (ADDED, (0,), ()),
        (SAME, (1,), (0,)),
        (REWORDED, (2,), (1,)),
        (SPLIT, (3, 4), (2,)),
        (MERGED, (5,), (3, 4)),
    ]


def test_corrections_by_key_survive_revisions_of_both_texts_or_are_reported_dropped(copy_article, editor):
    attach_original(article=copy_article, text=ORIGINAL)
    original = OriginalText.objects.get()
    okeys = [b.key for b in original.blocks.current()]  # harbour, market, school, river, festival
    # the editor says: the lead is the original's market paragraph (wrongly, but it is their call), and the
    # copy's market paragraph was left out... and the festival was omitted from the copy
    save_correction(article=copy_article, copy_keys=["k001"], original_keys=[okeys[1]], actor=editor)
    save_correction(article=copy_article, copy_keys=[], original_keys=[okeys[4]], actor=editor)
    found = original_alignment(article=copy_article)
    assert (found.alignment.pairs[0].copy, found.alignment.pairs[0].original) == ((0,), (1,))
    assert found.alignment.pairs[0].fixed
    assert any(p.kind == OMITTED and p.original == (4,) and p.fixed for p in found.alignment.pairs)
    assert found.dropped == []

    # the copy gains a paragraph at the top and the original a paragraph before the market: positions move,
    # keys do not, and the corrections still hold
    block = Block.objects.get(article=copy_article, key="k001")
    revise_blocks(
        article=copy_article,
        edits=[BlockEdit(kind="paragraph", text="Published on a Monday, in the travel pages of the paper.", order=0)],
        actor=editor,
    )
    attach_original(
        article=copy_article,
        text="\n\n".join(
            [HARBOUR, "A new paragraph about the lighthouse and its keepers.", MARKET, SCHOOL, RIVER, FESTIVAL]
        ),
    )
    found = original_alignment(article=copy_article)
    copy_index = [b.key for b in found.copy].index(block.key)
    original_index = [b.key for b in found.original].index(okeys[1])
    pair = next(p for p in found.alignment.pairs if copy_index in p.copy)
    assert pair.original == (original_index,) and pair.fixed
    festival = [b.key for b in found.original].index(okeys[4])
    assert any(p.kind == OMITTED and p.original == (festival,) and p.fixed for p in found.alignment.pairs)
    assert found.dropped == []

    # the original loses the market paragraph: that correction is kept, reported dropped, never guessed
    attach_original(article=copy_article, text="\n\n".join([HARBOUR, SCHOOL, RIVER, FESTIVAL]))
    found = original_alignment(article=copy_article)
    assert len(found.dropped) == 1
    correction, reason = found.dropped[0]
    assert correction.copy_keys == ["k001"] and "no longer exists" in reason
    assert AlignmentCorrection.objects.count() == 2


def test_a_new_correction_replaces_those_naming_the_same_blocks(copy_article):
    attach_original(article=copy_article, text=ORIGINAL)
    okeys = list(OriginalText.objects.get().blocks.current().values_list("key", flat=True))
    save_correction(article=copy_article, copy_keys=["k001"], original_keys=[])
    save_correction(article=copy_article, copy_keys=["k001"], original_keys=[okeys[0]])
    assert list(AlignmentCorrection.objects.values_list("copy_keys", "original_keys")) == [(["k001"], [okeys[0]])]
    delete_correction(correction=AlignmentCorrection.objects.get())
    assert not AlignmentCorrection.objects.exists()


@pytest.mark.parametrize(
    ("copy_keys", "original_index", "message"),
    [
        (["nope"], [0], "No such current paragraph"),
        ([], [], "Choose a paragraph"),
        (["k001", "k002"], [0, 1], "several"),
        (["k001", "k003"], [0], "follow one another"),
    ],
)
def test_bad_corrections_are_refused(copy_article, copy_keys, original_index, message):
    attach_original(article=copy_article, text=ORIGINAL)
    okeys = list(OriginalText.objects.get().blocks.current().values_list("key", flat=True))
    with pytest.raises(ValidationError, match=message):
        save_correction(article=copy_article, copy_keys=copy_keys, original_keys=[okeys[i] for i in original_index])
    assert not AlignmentCorrection.objects.exists()


def test_a_correction_needs_an_original(copy_article):
    with pytest.raises(ValidationError, match="no original"):
        save_correction(article=copy_article, copy_keys=["k001"], original_keys=[])


def test_the_alignment_is_cached_by_both_texts(copy_article, django_assert_num_queries):
    attach_original(article=copy_article, text=ORIGINAL)
    first = original_alignment(article=copy_article)
    from articles import selectors

    calls = []
    real = selectors.alignment.align
    selectors.alignment.align = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        with django_assert_num_queries(4):  # the original, its blocks, the copy's blocks, the corrections
            again = original_alignment(article=copy_article)
        assert calls == [] and again.alignment == first.alignment
        attach_original(article=copy_article, text=ORIGINAL.replace("warm bread", "bread"))
        original_alignment(article=copy_article)
        assert calls == [1]
    finally:
        selectors.alignment.align = real


# ---------------------------------------------------------------- backups


def test_the_original_and_its_corrections_survive_a_backup_and_restore(copy_article, editor, tmp_path):
    attach_original(article=copy_article, text=ORIGINAL, actor=editor, rights=OriginalRights.EXCERPTS)
    attach_original(article=copy_article, text=ORIGINAL.replace("warm bread", "bread"), actor=editor)
    okeys = list(OriginalText.objects.get().blocks.current().values_list("key", flat=True))
    save_correction(article=copy_article, copy_keys=["k001"], original_keys=[okeys[0]], actor=editor)
    before = original_alignment(article=copy_article)

    def rows():
        return (
            list(OriginalText.objects.values_list("pk", "article_id", "coverage", "version")),
            list(OriginalBlock.objects.order_by("pk").values_list("pk", "key", "position", "text", "removed_at")),
            list(OriginalRevision.objects.order_by("pk").values_list("pk", "number", "changes", "created_by")),
            list(AlignmentCorrection.objects.values_list("pk", "copy_keys", "original_keys", "created_by")),
            list(Source.objects.values_list("pk", "original_rights")),
        )

    saved = rows()
    path = tmp_path / "backup.json.gz"
    call_command("backup", str(path), stdout=StringIO())
    Article.objects.all().delete()
    assert not OriginalText.objects.exists() and not AlignmentCorrection.objects.exists()
    call_command("restore", str(path), stdout=StringIO())
    assert rows() == saved
    after = original_alignment(article=Article.objects.get())
    assert after.alignment == before.alignment and after.dropped == []
