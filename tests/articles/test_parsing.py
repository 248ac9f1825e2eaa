"""Parsing article files into plain data: the house format, Markdown, and refusals (no database)."""

import datetime as dt

import pytest

from articles.demo import SAMPLE_PATH
from articles.parsing import IMAGE, PARAGRAPH, DocumentError, parse_document, read_document

SAMPLE_TITLE = "Just now, Altman updated the blog: The tenth year of entrepreneurship, my reflection"
MAX = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def sample():
    return parse_document(read_document(SAMPLE_PATH, max_bytes=MAX), filename=SAMPLE_PATH.name)


# ---------------------------------------------------------------- the sample


def test_sample_headline_section_and_date(sample):
    assert sample.format == "house"
    assert sample.title == SAMPLE_TITLE
    assert sample.section == "News"
    assert sample.published_on == dt.date(2025, 1, 6)
    assert sample.language == "en"


def test_sample_block_counts(sample):
    assert len(sample.paragraphs) == 37
    assert [h.text for h in sample.headings] == ["reflection"]
    assert len(sample.blocks) == 39


def test_sample_lead_image_and_heading_in_order(sample):
    kinds = [b.kind for b in sample.blocks[:6]]
    assert kinds == ["paragraph", "paragraph", "paragraph", "image", "heading", "paragraph"]
    assert sample.blocks[0].text == "Sam Altman is starting to reflect."
    assert sample.blocks[-1].text.startswith("On a personal note, I want to especially thank Ollie")


def test_sample_image_placeholder_is_an_image_block_not_a_paragraph(sample):
    images = [b for b in sample.blocks if b.kind == IMAGE]
    assert len(images) == 1
    assert all("图片" not in b.text for b in sample.blocks)
    assert all(b.text != "" for b in sample.paragraphs)


def test_sample_source_details(sample):
    assert sample.source.original_url == "https://blog.samaltman.com/reflections"
    assert sample.source.publisher_name == "Quantum (Shanghai) Artificial Intelligence Technology Co., Ltd."
    assert sample.source.copy_published_on == dt.date(2025, 1, 6)


@pytest.mark.parametrize(
    "furniture",
    [
        "13004184443",
        "gcfai@dongfangyuzhe.com",
        "@",
        "Hongjing Xinhuiyuan",
        "Qingpu District",
        "ICP",
        "沪ICP备",
        "TAGS",
        "friend link",
        "wechat",
        "Blog link",
        "blog.samaltman.com",
    ],
)
def test_sample_page_furniture_is_not_in_any_block(sample, furniture):
    assert all(furniture.casefold() not in b.text.casefold() for b in sample.blocks)


def test_sample_furniture_is_reported_as_dropped(sample):
    assert sample.dropped[0] == "TAGS:"
    assert sample.dropped[-1] == "friend link"
    assert any("13004184443" in line for line in sample.dropped)


# ---------------------------------------------------------------- other house-format files

TECH_ARTICLE = """\
Chip makers race to build smaller transistors

#Tech · 2024-11-30

The race to shrink transistors has entered a new phase this year.

Manufacturers in three countries announced new processes within weeks of each other.

Background

Analysts say the costs of each new generation keep rising, while the gains keep falling.

Not everyone agrees that the race can continue for long.
"""


def test_second_house_article_without_image_furniture_or_link():
    parsed = parse_document(TECH_ARTICLE, filename="tech.txt")
    assert parsed.format == "house"
    assert parsed.title == "Chip makers race to build smaller transistors"
    assert parsed.section == "Tech"
    assert parsed.published_on == dt.date(2024, 11, 30)
    assert len(parsed.paragraphs) == 4
    assert [h.text for h in parsed.headings] == ["Background"]
    assert [b.kind for b in parsed.blocks] == ["paragraph", "paragraph", "heading", "paragraph", "paragraph"]
    assert (
        parsed.blocks[1].text == "Manufacturers in three countries announced new processes within weeks of each other."
    )
    assert not any(b.kind == IMAGE for b in parsed.blocks)
    assert parsed.source.original_url == ""
    assert parsed.source.publisher_name == ""
    assert parsed.dropped == []


def test_house_article_without_section_line():
    parsed = parse_document("A headline only\n\nOne paragraph of text, ending in a full stop.\n")
    assert parsed.title == "A headline only"
    assert parsed.section == ""
    assert parsed.published_on is None
    assert [b.text for b in parsed.paragraphs] == ["One paragraph of text, ending in a full stop."]


def test_house_article_with_another_companys_furniture_gives_that_publisher():
    text = (
        TECH_ARTICLE
        + "\nSource link: https://example.com/chips\n\nTAGS:\n\n  • 010-12345678\n\n  • contact@example.com\n\n"
        "Example Media Ltd. ICP:京ICP备12345678号\n\nfriend link\n"
    )
    parsed = parse_document(text, filename="tech.txt")
    assert parsed.source.publisher_name == "Example Media Ltd."
    assert parsed.source.original_url == "https://example.com/chips"
    assert len(parsed.paragraphs) == 4
    assert all("12345678" not in b.text and "@" not in b.text and "ICP" not in b.text for b in parsed.blocks)


def test_house_paragraph_whitespace_is_collapsed():
    parsed = parse_document("Headline\n\n   Two   spaces   here, and a tab\tthere.  \n")
    assert parsed.paragraphs[0].text == "Two spaces here, and a tab there."


# ---------------------------------------------------------------- Markdown

MARKDOWN_ARTICLE = """\
# A *Markdown* article

The first paragraph starts on this line
and carries on over a second line.

## A heading

![A chart of growth](x.png)

Some *emphasis*, some **strong** text and a [link](http://x) in a sentence.
"""


def _assert_markdown_parsed(parsed):
    assert parsed.format == "markdown"
    assert parsed.title == "A Markdown article"
    assert [(b.kind, b.text) for b in parsed.blocks] == [
        (PARAGRAPH, "The first paragraph starts on this line and carries on over a second line."),
        ("heading", "A heading"),
        (IMAGE, "A chart of growth"),
        (PARAGRAPH, "Some emphasis, some strong text and a link in a sentence."),
    ]
    assert len(parsed.paragraphs) == 2
    assert [h.text for h in parsed.headings] == ["A heading"]


def test_markdown_by_suffix():
    _assert_markdown_parsed(parse_document(MARKDOWN_ARTICLE, filename="article.md"))


@pytest.mark.parametrize("filename", ["", "article.txt"])
def test_markdown_detected_by_content(filename):
    _assert_markdown_parsed(parse_document(MARKDOWN_ARTICLE, filename=filename))


def test_markdown_read_from_a_file(tmp_path):
    path = tmp_path / "article.md"
    path.write_text(MARKDOWN_ARTICLE, encoding="utf-8")
    _assert_markdown_parsed(parse_document(read_document(path, max_bytes=MAX), filename=str(path)))


def test_markdown_source_link_becomes_original_url():
    text = MARKDOWN_ARTICLE + "\nOriginal: [the post](https://example.com/post)\n"
    parsed = parse_document(text, filename="a.md")
    assert parsed.source.original_url == "https://example.com/post"
    assert all("example.com" not in b.text for b in parsed.blocks)
    assert len(parsed.blocks) == 4


# ---------------------------------------------------------------- refusals: reading


def _assert_one_line(exc_info):
    message = str(exc_info.value)
    assert message.strip()
    assert "\n" not in message
    return message


def test_read_missing_file(tmp_path):
    with pytest.raises(DocumentError) as exc_info:
        read_document(tmp_path / "nope.txt", max_bytes=MAX)
    assert "no such file" in _assert_one_line(exc_info)


def test_read_directory(tmp_path):
    with pytest.raises(DocumentError) as exc_info:
        read_document(tmp_path, max_bytes=MAX)
    assert "not a regular file" in _assert_one_line(exc_info)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"  \n\t\n   \r\n", "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "binary"),
        (b"caf\xe9 au lait\n", "UTF-8"),
        (b"Headline\n\n" + bytes(range(1, 9)) * 20 + b"\n", "binary"),
    ],
    ids=["empty", "whitespace-only", "png", "latin-1", "control-characters"],
)
def test_read_refuses_bad_content(tmp_path, content, expected):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DocumentError) as exc_info:
        read_document(path, max_bytes=MAX)
    assert expected in _assert_one_line(exc_info)


def test_read_refuses_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Headline\n\n" + "A paragraph of text. " * 10, encoding="utf-8")
    with pytest.raises(DocumentError) as exc_info:
        read_document(path, max_bytes=50)
    assert "limit" in _assert_one_line(exc_info)


def test_read_accepts_file_at_the_size_limit(tmp_path):
    path = tmp_path / "exact.txt"
    path.write_bytes(b"Headline\n\nText.\n")
    assert read_document(path, max_bytes=path.stat().st_size) == "Headline\n\nText.\n"


def test_read_strips_bom_and_normalises_line_endings(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffHeadline\r\n\r\nA paragraph, ending here.\r\n".encode())
    text = read_document(path, max_bytes=MAX)
    assert text == "Headline\n\nA paragraph, ending here.\n"
    assert parse_document(text).title == "Headline"


# ---------------------------------------------------------------- refusals: parsing


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ("#News ·2025-01-06\n\nA paragraph of text, ending here.\n", "a.txt"),
        ("图片\n\nA paragraph of text, ending here.\n", "a.txt"),
        ("Blog link: https://example.com/post\n\nA paragraph.\n", "a.txt"),
        ("A paragraph without a title, ending here.\n\nAnother paragraph.\n", "a.md"),
        ("## Only a subheading\n\nA paragraph.\n", "a.md"),
        ("x" * 301 + "\n\nA paragraph.\n", "a.txt"),
    ],
    ids=["section-line-first", "image-first", "source-link-first", "markdown-no-title", "markdown-h2-only", "too-long"],
)
def test_parse_refuses_file_without_title(text, filename):
    with pytest.raises(DocumentError) as exc_info:
        parse_document(text, filename=filename)
    assert "no title" in _assert_one_line(exc_info)


def test_parse_refuses_impossible_date():
    with pytest.raises(DocumentError) as exc_info:
        parse_document("A headline\n\n#News ·2025-13-45\n\nA paragraph of text.\n")
    assert "2025-13-45" in _assert_one_line(exc_info)


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ("A headline and nothing else\n", "a.txt"),
        ("A headline\n\n#News ·2025-01-06\n", "a.txt"),
        ("# Title only\n", "a.md"),
    ],
)
def test_parse_refuses_title_without_text(text, filename):
    with pytest.raises(DocumentError) as exc_info:
        parse_document(text, filename=filename)
    assert "no text" in _assert_one_line(exc_info)
