"""Annotation bodies: the Markdown subset, raw HTML shown inert, unsafe links dropped; tag parsing."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from annotations.rendering import render_body
from annotations.tagging import MAX_TAGS, TAG_MAX_LENGTH, normalise_tag, parse_tags


def start_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of ``html`` with its attributes, as a browser would parse them."""
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Parser().feed(html)
    return found


# ---------------------------------------------------------------- Markdown subset


def test_emphasis_and_strong():
    assert render_body("*this* and **that**") == "<p><em>this</em> and <strong>that</strong></p>"


def test_links_get_nofollow():
    html = render_body("See [the report](https://example.org/report).")
    assert '<a href="https://example.org/report" rel="nofollow noopener ugc">the report</a>' in html


def test_autolinks_and_mailto_links():
    assert 'href="https://example.org"' in render_body("<https://example.org>")
    assert 'href="mailto:desk@example.org"' in render_body("[write](mailto:desk@example.org)")


def test_lists():
    assert render_body("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    assert render_body("1. one\n2. two") == "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"


def test_blockquote():
    assert render_body("> quoted words") == "<blockquote>\n<p>quoted words</p>\n</blockquote>"


def test_code_and_line_breaks():
    assert render_body("`x < y`") == "<p><code>x &lt; y</code></p>"
    assert render_body("first\nsecond") == "<p>first<br>\nsecond</p>"


def test_markdown_outside_the_subset_is_plain_text():
    html = render_body("# Heading\n\n![alt](https://example.org/i.png)")
    assert "<h1>" not in html
    assert "<img" not in html


# ---------------------------------------------------------------- raw HTML is inert


@pytest.mark.parametrize(
    ("body", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<iframe src="https://evil.example"></iframe>', "&lt;iframe"),
        ('<a href="javascript:alert(1)">x</a>', "&lt;a href="),
        ("<b onmouseover=alert(1)>bold</b>", "&lt;b onmouseover=alert(1)&gt;"),
    ],
)
def test_raw_html_is_shown_as_text(body, escaped):
    html = render_body(body)
    assert escaped in html
    assert start_tags(html) == [("p", [])]


def test_html_inside_markdown_is_escaped_too():
    html = render_body("**<script>alert(1)</script>**\n\n- <img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "<strong>&lt;script&gt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](  javascript:alert(1))",
        "<javascript:alert(1)>",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](data:image/png;base64,AAAA)",
        "[click](vbscript:msgbox(1))",
    ],
)
def test_unsafe_link_schemes_are_not_rendered_as_hrefs(link):
    html = render_body(link)
    assert "href" not in html
    assert all(
        tag in {"p", "a"} and not attrs or attrs == [("rel", "nofollow noopener ugc")]
        for tag, attrs in start_tags(html)
    )


@pytest.mark.parametrize(
    "link",
    [
        '[click](https://ok.example "a title" onclick=alert(1))',
        '[click](https://ok.example "x\\" onclick=\\"alert(1)")',
    ],
)
def test_link_title_cannot_smuggle_attributes(link):
    for tag, attrs in start_tags(render_body(link)):
        assert tag in {"p", "a"}
        assert {name for name, _ in attrs} <= {"href", "title", "rel"}


def test_link_title_is_kept():
    html = render_body('[click](https://ok.example "a title")')
    assert '<a href="https://ok.example" title="a title" rel="nofollow noopener ugc">click</a>' in html


def test_only_http_https_mailto_hrefs_survive():
    html = render_body(
        "[a](https://ok.example) [b](javascript:alert(1)) [c](data:text/html,x) [d](vbscript:x) [e](ftp://files.example)"
    )
    assert html.count("href=") == 1
    assert 'href="https://ok.example"' in html


# ---------------------------------------------------------------- tags


def test_tag_spellings_collapse_to_one_normalised_name():
    assert parse_tags("  Translation , TRANSLATION, #translation") == ["translation"]
    assert parse_tags(["  Translation ", "TRANSLATION", "#translation"]) == ["translation"]


def test_tag_inner_white_space_is_single_spaced():
    assert normalise_tag("  Public   Health ") == "public health"
    assert parse_tags("Public   Health, public health") == ["public health"]


def test_empty_tags_are_skipped():
    assert parse_tags("") == []
    assert parse_tags(" , ,, ") == []


def test_tags_keep_their_order_and_allowed_punctuation():
    assert parse_tags("covid-19, u.s., r&d, c++, o'brien") == ["covid-19", "u.s.", "r&d", "c++", "o'brien"]


def test_at_most_ten_tags():
    assert len(parse_tags([f"tag{i}" for i in range(MAX_TAGS)])) == MAX_TAGS
    with pytest.raises(ValidationError, match="at most 10 tags"):
        parse_tags([f"tag{i}" for i in range(MAX_TAGS + 1)])


def test_duplicates_do_not_count_towards_the_limit():
    assert len(parse_tags([f"tag{i}" for i in range(MAX_TAGS)] + ["TAG0", "#tag1"])) == MAX_TAGS


def test_a_tag_of_forty_characters_is_fine_and_forty_one_is_refused():
    assert parse_tags("a" * TAG_MAX_LENGTH) == ["a" * 40]
    with pytest.raises(ValidationError, match="at most 40 characters"):
        parse_tags("a" * (TAG_MAX_LENGTH + 1))


@pytest.mark.parametrize("bad", ["<script>", "<script>alert(1)</script>", 'say "hi"', "a/b", "-leading", "semi;colon"])
def test_tags_with_markup_or_odd_characters_are_refused(bad):
    with pytest.raises(ValidationError, match="not a valid tag"):
        parse_tags(bad)
