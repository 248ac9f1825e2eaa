"""The Markdown export of an annotated article: content, escaping, what is left out, queries."""

import html
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from annotations.exports.markdown_text import body_blocks, clean_text, escape_inline, escape_paragraph, md_link
from annotations.models import Annotation, Tag
from annotations.rendering import render_body
from articles.models import Article, Block, Source

TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
PAYLOAD = "</script><script>alert(1)</script>"

# CommonMark with raw HTML allowed and GFM tables: the most permissive reader
# the export must stay inert in.
permissive = MarkdownIt("commonmark", {"html": True}).enable("table")


def export_url(article):
    return f"/articles/{article.slug}/export.md"


def export(client, article) -> str:
    response = client.get(export_url(article))
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def render_flat(markdown: str) -> str:
    """Render with footnote bodies un-indented (a renderer without footnotes would show them as code)."""
    return permissive.render(re.sub(r"(?m)^    ", "", markdown))


def hrefs(rendered: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', rendered)


# ---------------------------------------------------------------- the document


@pytest.fixture
def full_article(make_article, set_text, make_annotation, other_user):
    article = make_article(
        "The budget, annotated", slug="budget", dek="What the minister said.", section="Economy", paragraphs=0
    )
    Source.objects.filter(article=article).update(
        original_url="https://news.example.cn/budget",
        original_title="预算",
        original_author="Li Reporter",
        original_published_on=date(2024, 3, 1),
        original_language="zh",
        publisher_name="Example Daily",
        publisher_url="https://daily.example.com/",
        copy_url="https://daily.example.com/budget",
        copy_published_on=date(2024, 3, 3),
        copy_language="en",
        is_translation=True,
        translated_from="the Chinese original",
        translation_notes="Machine-assisted.",
        retrieved_on=date(2024, 4, 1),
        archived_url="https://archive.example.org/budget",
        rights_note="Quoted for criticism.",
        editorial_notes="Trimmed for length.",
    )
    Block.objects.bulk_create(
        [
            Block(article=article, key="h1", position=1, kind=Block.Kind.HEADING, text="The numbers"),
            Block(article=article, key="p1", position=2, kind=Block.Kind.PARAGRAPH, text=TEXT),
            Block(article=article, key="img", position=3, kind=Block.Kind.IMAGE, text=""),
            Block(article=article, key="p2", position=4, kind=Block.Kind.PARAGRAPH, text="Second paragraph."),
        ]
    )
    now = timezone.now()
    check = make_annotation(
        article=article,
        block="p1",
        kind=Annotation.Kind.FACT_CHECK,
        quote=QUOTE,
        claim="The budget grew by 4%",
        verdict="mistranslation",
        body="The original says **two** percent. See [the office](https://stats.example.org/a).",
        tags=["budget", "translation"],
        evidence=[
            {
                "url": "https://stats.example.org/2023",
                "title": "Budget statistics",
                "archived_url": "https://archive.example.org/stats",
                "excerpt": "Growth: 2.1%",
            }
        ],
    )
    second = make_annotation(
        article=article,
        block="p1",
        kind=Annotation.Kind.FACT_CHECK,
        quote="the largest rise in a decade",
        claim="Largest in a decade",
        verdict="misleading",
        author=other_user,
    )
    note = make_annotation(article=article, block="p2", body="A note on the second paragraph.")
    Annotation.objects.filter(pk=check.pk).update(moderated_at=now - timedelta(days=1))
    return article, check, second, note


def test_response_headers(client, full_article):
    article = full_article[0]
    response = client.get(export_url(article))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="budget.md"'


def test_document_layout(client, full_article):
    article, check, second, note = full_article
    text = export(client, article)

    assert text.startswith("# The budget, annotated\n\n*What the minister said.*\n\n")
    assert "Annotated version: <http://testserver/articles/budget/>" in text
    # summary, then provenance, then the text, then the footnotes
    order = [
        "## Fact-check summary",
        "## Where this text comes from",
        "## Text",
        "## The numbers",
        TEXT,
        "*[image not reproduced]*",
        "Second paragraph.",
        "## Annotations",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert (
        "- **2 fact-checks**\n  - Misleading: 1\n  - Mistranslation: 1\n  - concerning the translation: 1\n- **1 note**"
        in text
    )


def test_provenance(client, full_article):
    text = export(client, full_article[0])

    assert "- **Original:** Li Reporter, [预算](https://news.example.cn/budget), published 1 March 2024 (zh)" in text
    assert (
        "- **This copy:** published by [Example Daily](https://daily.example.com/) on 3 March 2024, in “Economy” (en)"
        " — [https://daily.example.com/budget](https://daily.example.com/budget)"
    ) in text
    assert "- **Translation:** **This is a translation**, from the Chinese original. Machine-assisted." in text
    assert "- **Retrieved:** 1 April 2024 · [archived copy](https://archive.example.org/budget)" in text
    assert "- **Rights:** Quoted for criticism." in text
    assert "- **Editor’s note:** Trimmed for length." in text


def test_paragraphs_carry_footnote_references(client, full_article):
    article, check, second, note = full_article
    text = export(client, article)

    assert f"\n\n{TEXT}[^1][^2]\n\n" in text
    assert "\n\nSecond paragraph.[^3]\n\n" in text
    assert "\n\n## The numbers\n\n" in text  # unannotated heading: no reference


def test_footnotes(client, full_article):
    article, check, second, note = full_article
    text = export(client, article)
    footnotes = text[text.index("## Annotations") :]

    first = footnotes[footnotes.index("[^1]:") : footnotes.index("[^2]:")]
    assert first.startswith("[^1]: **Fact-check** — verdict: **Mistranslation** (on ¶2)\n\n")
    assert f"    > “{QUOTE}”" in first
    assert "    **Claim:** The budget grew by 4%" in first
    assert "    The original says two percent. See [the office](https://stats.example.org/a)." in first
    assert (
        "    **Evidence:**\n    - [Budget statistics](https://stats.example.org/2023)"
        " ([archived](https://archive.example.org/stats)): “Growth: 2.1%”"
    ) in first
    assert "    **Tags:** budget, translation" in first
    when = timezone.localtime(Annotation.objects.get(pk=check.pk).moderated_at)
    assert f"    — author, {when.day} {when:%B %Y} · [Permalink](http://testserver/annotations/{check.pk}/)" in first
    assert "[^2]: **Fact-check** — verdict: **Misleading** (on ¶2)" in footnotes
    assert "— other, " in footnotes
    assert "[^3]: **Note** (on ¶4)" in footnotes
    assert "verdict" not in footnotes[footnotes.index("[^3]:") :]
    # every continuation line of a footnote is indented (or blank)
    for line in footnotes.splitlines()[1:]:
        assert line == "" or line.startswith(("    ", "[^"))


def test_article_without_annotations_or_source(client, make_article):
    article = make_article("Plain", slug="plain")
    Source.objects.filter(article=article).delete()
    text = export(client, article)

    assert "- No fact-checks.\n- **0 notes**" in text
    assert "## Where this text comes from" not in text
    assert "## Annotations" not in text
    assert "Paragraph 1 text.\n\nParagraph 2 text.\n\nParagraph 3 text.\n" in text


# ---------------------------------------------------------------- nothing unpublished


def test_only_approved_public_annotations_appear(client, article, make_annotation, make_user, editor):
    make_annotation(article=article, body="Visible note.")
    for status in (Annotation.Status.PENDING, Annotation.Status.REJECTED, Annotation.Status.HIDDEN):
        make_annotation(
            article=article,
            status=status,
            body=f"LEAK {status}",
            kind=Annotation.Kind.FACT_CHECK,
            claim=f"LEAK claim {status}",
        )
    make_annotation(article=article, body="LEAK private", visibility=Annotation.Visibility.PRIVATE)
    orphan = Block.objects.create(article=article, key="gone", position=50, text="LEAK removed paragraph")
    make_annotation(article=article, block=orphan, body="Kept orphan note.")
    orphan.mark_removed()
    orphan.save()
    client.force_login(editor)  # even staff get the public version
    text = export(client, article)

    assert "Visible note." in text
    assert "LEAK" not in text
    assert "[^2]" not in text
    # an approved note whose paragraph was removed is kept, marked, away from the text (issue 13)
    earlier = text.split("## Notes on earlier wording", 1)[1]
    assert "Kept orphan note." in earlier
    assert "**Orphaned:** the words it refers to were removed from the article." in earlier
    assert "- No fact-checks.\n- **2 notes**" in text


def test_draft_and_unknown_articles_are_404(client, make_article, editor):
    draft = make_article("Draft", slug="a-draft", status=Article.Status.DRAFT)

    assert client.get("/articles/nope/export.md").status_code == 404
    assert client.get(export_url(draft)).status_code == 404
    client.force_login(editor)
    assert client.get(export_url(draft)).status_code == 404


def test_only_safe_methods(client, article):
    assert client.post(export_url(article)).status_code == 405


# ---------------------------------------------------------------- hostile input


def test_hostile_input_is_inert(client, make_article, set_text, make_annotation):
    article = make_article(f"Title {PAYLOAD} ##", slug="hostile", dek="*dek* [x](javascript:alert(1))")
    Source.objects.filter(article=article).update(
        original_author="<img src=x onerror=alert(1)>",
        original_url="https://example.org/a b)c",
        original_title="Title](javascript:alert(1))",
        rights_note="<iframe src=//evil>",
    )
    Block.objects.create(article=article, key="h", position=10, kind=Block.Kind.HEADING, text="Heading ## closing ##")
    set_text(article, "k001", f"Read [this](javascript:alert(1)) and {PAYLOAD} \x07now!")
    set_text(article, "k002", "# Not a heading")
    set_text(article, "k003", "1986. A year, <https://evil.example> and &lt;b&gt; and ![i](https://evil.example/x.png)")
    make_annotation(
        article=article,
        kind=Annotation.Kind.FACT_CHECK,
        quote="[this](javascript:alert(1))",
        claim=f"{PAYLOAD} [^9] ``code``",
        body=f"{PAYLOAD}\n\n<b onclick=alert(1)>raw</b> [ok](https://good.example/x) [bad](javascript:alert(1))\n\n# Heading\n\n|a|b|\n|-|-|",
        evidence=[
            {
                "url": "https://good.example/e?a=(1)",
                "title": "[t](javascript:alert(1))",
                "excerpt": "<svg onload=alert(1)>",
            }
        ],
    )
    Annotation.objects.get().tags.add(Tag.objects.create(name="<b>tag</b>", slug="b-tag"))
    text = export(client, article)
    rendered = render_flat(text)

    for dangerous in ("<script", "<img", "<iframe", "<svg", "<b ", "<b>", "<table", "<code", "<h1>Heading"):
        assert dangerous not in rendered, dangerous
        assert dangerous not in permissive.render(text).replace("<pre><code>", ""), dangerous
    assert "\x07" not in text
    # the only links are ours: http(s) addresses, never javascript:
    links = hrefs(rendered)
    assert links and all(link.startswith(("http://", "https://")) for link in links), links
    assert not any("evil" in link for link in links)
    assert "https://good.example/x" in links
    assert "https://good.example/e?a=%281%29" in links
    assert "https://example.org/a%20b%29c" in links
    # the user's text is still there, as text
    assert "Read [this](javascript:alert(1)) and" in html.unescape(rendered)
    assert "<h1>Title &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; ##</h1>" in rendered
    assert "<h2>Heading ## closing ##</h2>" in rendered
    assert "<p># Not a heading</p>" in rendered
    assert "<p>1986. A year," in rendered
    assert "now![^1]" not in text and "now\\![^1]" in text


# ---------------------------------------------------------------- escaping, unit level


def test_escape_inline_examples():
    assert escape_inline("a <b> & c &amp; [x](y) *e* _u_ `c` \\ ~s~") == (
        "a &lt;b&gt; & c &amp;amp; \\[x\\](y) \\*e\\* \\_u\\_ \\`c\\` \\\\ \\~s\\~"
    )
    assert escape_inline("multi\n  line\ttext\x00\x1b") == "multi line text"
    assert escape_paragraph("# h") == "\\# h"
    assert escape_paragraph("- item") == "\\- item"
    assert escape_paragraph("> quote") == "&gt; quote"
    assert escape_paragraph("12) item") == "12\\) item"
    assert escape_paragraph("---") == "\\---"


def test_md_link_refuses_other_schemes():
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", "data:text/html,hi") == "x"
    assert md_link("a]b", "https://e.example/(x) y") == "[a\\]b](https://e.example/%28x%29%20y)"


def test_body_blocks_keep_structure():
    body = render_body("First *para*\nwith a break.\n\n- one\n- two\n\n> quoted\n\n1. first\n2. second")
    assert body_blocks(body) == [
        "First para  \nwith a break.",
        "- one\n- two",
        "> quoted",
        "1. first\n2. second",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_paragraph_renders_as_exactly_its_text(value):
    """Whatever the user typed, the rendered paragraph is that text, and only text."""
    expected = " ".join(clean_text(value).split())
    rendered = permissive.render(escape_paragraph(value))
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n"), rendered
    inner = rendered[3:-5]
    assert "<" not in inner, rendered  # no element of any kind
    assert html.unescape(inner) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_link_label_stays_one_link(label, url):
    rendered = permissive.render(md_link(label, "https://example.org/" + url))
    assert rendered.count("<a ") == 1, rendered
    assert re.findall(r'href="([^"]*)"', rendered)[0].startswith("https://example.org/")


# ---------------------------------------------------------------- queries


def _populate(article, make_annotation, *, paragraphs: int, per_paragraph: int):
    Block.objects.bulk_create(
        Block(article=article, key=f"x{i:03d}", position=100 + i, text=f"Extra paragraph {i}.")
        for i in range(paragraphs)
    )
    for block in article.blocks.current():
        for i in range(per_paragraph):
            make_annotation(
                article=article,
                block=block,
                kind=Annotation.Kind.FACT_CHECK if i % 2 else Annotation.Kind.NOTE,
                claim=f"Claim {i}" if i % 2 else "",
                tags=["budget", f"t{i}"],
                evidence=[{"url": f"https://example.org/{i}/{j}", "title": f"Source {j}"} for j in range(2)]
                if i % 2
                else [],
            )


@pytest.mark.parametrize("size", [(0, 2), (8, 5)], ids=["small", "large"])
def test_query_count_is_fixed(client, article, make_annotation, django_assert_num_queries, size):
    _populate(article, make_annotation, paragraphs=size[0], per_paragraph=size[1])
    # 1 the article's id (the export is cached under its version); 2 the article with its source; 3 its
    # blocks; 4 the public annotations; 5 their authors; 6 their tags; 7 their evidence
    with django_assert_num_queries(7):
        text = export(client, article)
    assert text.count("]: **") == Annotation.objects.count()
    with django_assert_num_queries(0):  # then from the cache, until the article changes (annotations.page_cache)
        assert export(client, article) == text
