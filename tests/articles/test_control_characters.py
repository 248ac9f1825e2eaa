"""The one input-cleaning rule (``accounts.text``) on what editors type and import (issue 18).

Article fields, source details, block text and revision notes refuse control characters other than tab and
line breaks: in the admin (add and change, the source and block inlines) with the message on the field, and
at import (``manage.py import_article``) with a one-line error naming the line, exit status 1, nothing written.
Bidi controls and tabs stay.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, ManagementUtility, base, call_command

from accounts.text import no_control_characters
from articles.models import Article, ArticleRevision, Block, Source
from articles.parsing import CONTROL_RE, DocumentError, parse_document
from tests.articles.helpers import SAMPLE_TEXT, block_field, change_url, write
from tests.helpers import change_form_data

MESSAGE = "Remove the invisible control character U+{:04X}"
ADD = "/admin/articles/article/add/"
# one of each family the rule refuses: C0 (vertical tab, form feed, escape), DEL, C1
REFUSED = ["\x0b", "\x0c", "\x1b", "\x7f", "\x85"]


# ---------------------------------------------------------------- the rule, at parsing (no database)


def test_the_parser_refuses_exactly_what_the_one_rule_refuses():
    """``articles.parsing`` may not import ``accounts.text`` (pure: no Django); its copy of the set must agree."""
    for code in range(0x3000):
        char = chr(code)
        try:
            no_control_characters(f"a{char}b")
            refused = False
        except ValidationError:
            refused = True
        assert bool(CONTROL_RE.search(char)) == refused, f"U+{code:04X}"


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
@pytest.mark.parametrize(
    "where, text, line, column",
    [
        ("title", "A head{c}line\n\nA paragraph of text that is long enough to be one.\n", 1, 7),
        ("paragraph", "A headline\n\nA paragraph of text{c} that is long enough to be one.\n", 3, 20),
        ("heading", "A headline\n\nA paragraph of text, long enough.\n\nA {c}heading\n\nMore text, to end.\n", 5, 3),
        ("markdown", "# A headline\n\nSome *text*{c} here, long enough to be a paragraph.\n", 3, 12),
    ],
)
def test_parsing_refuses_a_control_character_naming_its_line(char, where, text, line, column):
    with pytest.raises(DocumentError) as exc_info:
        parse_document(text.format(c=char), filename="a.md" if where == "markdown" else "a.txt")
    message = str(exc_info.value)
    assert message.startswith(f"line {line}, column {column}: remove the invisible control character U+{ord(char):04X}")
    assert "\n" not in message and "nothing was imported" in message


def test_parsing_keeps_tabs_line_breaks_and_bidi_controls():
    text = "A headline\r\n\nשלום \u202eעולם\u202c and\ttabs in a paragraph long enough to be one.\n"
    parsed = parse_document(text.replace("\r\n", "\n"))
    assert "\u202e" in parsed.paragraphs[0].text and "\u202c" in parsed.paragraphs[0].text


# ---------------------------------------------------------------- the rule, at import


def snapshot():
    return (
        list(Article.objects.order_by("pk").values_list("pk", "slug", "title", "updated_at")),
        list(Source.objects.order_by("pk").values_list("pk", "publisher_name", "original_url", "updated_at")),
        list(Block.objects.order_by("pk").values_list("pk", "key", "position", "text", "removed_at")),
        ArticleRevision.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_import_refuses_a_file_with_a_control_character_and_writes_nothing(tmp_path, article, char):
    lines = SAMPLE_TEXT.split("\n")
    lines[4] = lines[4][:10] + char + lines[4][10:]
    path = write(tmp_path, "\n".join(lines))
    before = snapshot()
    with pytest.raises(CommandError) as exc_info:
        call_command("import_article", str(path), stdout=StringIO(), stderr=StringIO())
    assert str(exc_info.value).startswith(
        f"line 5, column 11: remove the invisible control character U+{ord(char):04X}"
    )
    assert snapshot() == before


@pytest.mark.django_db
def test_reimport_of_a_revised_file_with_a_control_character_changes_nothing(tmp_path):
    call_command("import_article", str(write(tmp_path, SAMPLE_TEXT)), stdout=StringIO())
    before = snapshot()
    revised = SAMPLE_TEXT.replace("Sam Altman is starting to reflect.", "Sam Altman is starting\x1b[31m to reflect.")
    assert revised != SAMPLE_TEXT
    with pytest.raises(CommandError, match="remove the invisible control character U\\+001B"):
        call_command("import_article", str(write(tmp_path, revised, "revised.txt")), stdout=StringIO())
    assert snapshot() == before


@pytest.mark.django_db
def test_the_command_exits_with_status_1_and_says_why(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "A headline\n\nA paragraph\x07 of text that is long enough to be one.\n")
    # run_from_argv closes the connections when it ends: that would close the test's transaction on PostgreSQL
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exc_info:
        ManagementUtility(["manage.py", "import_article", str(path)]).execute()
    assert exc_info.value.code == 1
    assert "line 3, column 12: remove the invisible control character U+0007" in capsys.readouterr().err
    assert Article.objects.count() == 0 and Block.objects.count() == 0


# ---------------------------------------------------------------- the rule, in the admin


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def field_name(data: dict, prefix: str, field: str) -> str:
    return next(name for name in data if name.startswith(prefix) and name.endswith(f"-{field}"))


ARTICLE_FIELDS = ["title", "dek", "section", "language"]
SOURCE_FIELDS = [
    "original_title",
    "original_author",
    "original_language",
    "publisher_name",
    "copy_language",
    "translated_from",
    "translation_notes",
    "rights_note",
    "editorial_notes",
]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ARTICLE_FIELDS + [f"source.{f}" for f in SOURCE_FIELDS] + ["block.text"])
def test_the_article_change_page_refuses_a_control_character_in_every_typed_field(editor_client, article, field):
    data = change_form_data(editor_client.get(change_url(article)))
    if field.startswith("source."):
        name = field_name(data, "source", field.split(".", 1)[1])
    elif field == "block.text":
        name = block_field(data, article.blocks.current().first(), "text")
    else:
        name = field
    data[name] = "Before\x1bafter"
    before = snapshot()

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 200  # the form again, with the message on the field
    assert MESSAGE.format(0x1B) in response.content.decode()
    assert snapshot() == before


@pytest.mark.django_db
def test_the_article_change_page_keeps_tabs_line_breaks_and_bidi(editor_client, article):
    data = change_form_data(editor_client.get(change_url(article)))
    data["dek"] = "A dek\twith a tab,\r\na line break and \u2067עברית\u2069."
    data[field_name(data, "source", "publisher_name")] = "\u202bناشر\u202c"
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    article.refresh_from_db()
    article.source.refresh_from_db()
    assert "\t" in article.dek and "\u2067" in article.dek
    assert article.source.publisher_name == "\u202bناشر\u202c"


@pytest.mark.django_db
@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_the_article_add_page_refuses_a_control_character_in_the_title(editor_client, char):
    data = change_form_data(editor_client.get(ADD))
    data.update({"title": f"A new{char} article", "slug": "a-new-article", "status": "draft", "language": "en"})
    response = editor_client.post(ADD, data)
    assert response.status_code == 200
    assert MESSAGE.format(ord(char)) in response.content.decode()
    assert not Article.objects.filter(slug="a-new-article").exists()
    # and the same form without it is saved: the refusal was the character, nothing else
    data["title"] = "A new article"
    assert editor_client.post(ADD, data).status_code == 302
    assert Article.objects.get(slug="a-new-article").title == "A new article"


@pytest.mark.django_db
def test_model_validation_names_every_guarded_field(article):
    """``full_clean`` (services, the admin's model forms) refuses each guarded field; the message names it."""
    source = Source.objects.get(article=article)
    for obj, name in [(article, f) for f in ARTICLE_FIELDS] + [(source, f) for f in SOURCE_FIELDS]:
        old = getattr(obj, name)
        setattr(obj, name, "x\x7fy")
        with pytest.raises(ValidationError) as exc_info:
            obj.full_clean()
        assert name in exc_info.value.message_dict, name
        assert MESSAGE.format(0x7F) in exc_info.value.message_dict[name][0]
        setattr(obj, name, old)
    block = article.blocks.current().first()
    block.text = "x\x01y"
    with pytest.raises(ValidationError, match="U\\+0001"):
        block.full_clean()
    revision = ArticleRevision(article=article, number=99, source="admin", note="x\x9by")
    with pytest.raises(ValidationError, match="U\\+009B"):
        revision.full_clean()
