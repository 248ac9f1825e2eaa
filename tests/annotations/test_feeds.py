"""Atom feeds: an article's approved public annotations, and the site-wide fact-checks."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.exports import feeds
from annotations.models import Annotation, Tag
from articles.models import Article, Block, Source

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
PAYLOAD = "</script><script>alert(1)</script>"


def feed_url(article):
    return f"/articles/{article.slug}/feed/"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


def entry_ids(root) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in entries(root)]


def permalink(annotation) -> str:
    return f"http://testserver/annotations/{annotation.pk}/"


def approved_at(annotation, minutes_ago: int):
    Annotation.objects.filter(pk=annotation.pk).update(moderated_at=timezone.now() - timedelta(minutes=minutes_ago))
    annotation.refresh_from_db()
    return annotation


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k002", TEXT)


@pytest.fixture
def unpublishable(make_annotation, make_article, article, other_user):
    """One of every annotation readers must never see, each with a marker in its body."""
    draft = make_article("Draft", slug="draft-article", status=Article.Status.DRAFT)
    made = [
        make_annotation(article=article, body="LEAK-pending", status=Annotation.Status.PENDING),
        make_annotation(article=article, body="LEAK-rejected", status=Annotation.Status.REJECTED),
        make_annotation(article=article, body="LEAK-hidden", status=Annotation.Status.HIDDEN),
        make_annotation(article=article, body="LEAK-private", visibility=Annotation.Visibility.PRIVATE),
        make_annotation(
            article=article,
            body="LEAK-private-check",
            kind=Annotation.Kind.FACT_CHECK,
            visibility=Annotation.Visibility.PRIVATE,
            claim="A claim",
        ),
        make_annotation(
            article=article,
            body="LEAK-pending-check",
            kind=Annotation.Kind.FACT_CHECK,
            status=Annotation.Status.PENDING,
            claim="A claim",
        ),
        make_annotation(article=draft, body="LEAK-draft-note"),
        make_annotation(article=draft, body="LEAK-draft-check", kind=Annotation.Kind.FACT_CHECK, claim="A claim"),
    ]
    # an approved annotation whose paragraph was removed by a revision (an orphan)
    orphan_block = Block.objects.create(article=article, key="gone", position=99, text="Removed later.")
    made.append(make_annotation(article=article, block=orphan_block, body="LEAK-orphan"))
    orphan_block.mark_removed()
    orphan_block.save()
    return made


# ---------------------------------------------------------------- the article feed


def test_article_feed_lists_approved_public_annotations_newest_first(client, article, make_annotation, unpublishable):
    oldest = approved_at(make_annotation(article=article, body="First."), 30)
    newest = approved_at(make_annotation(article=article, block="k003", body="Third."), 1)
    middle = approved_at(
        make_annotation(
            article=article, block="k002", kind=Annotation.Kind.FACT_CHECK, claim="Budget rose", body="Second."
        ),
        10,
    )
    root = parse(client.get(feed_url(article)))

    assert entry_ids(root) == [permalink(newest), permalink(middle), permalink(oldest)]
    links = [e.find(f"{ATOM}link").get("href") for e in entries(root)]
    assert links == entry_ids(root)
    assert b"LEAK" not in client.get(feed_url(article)).content


def test_article_feed_metadata(client, make_article, make_annotation):
    article = make_article("Budget <story> & more", slug="budget", dek="What the minister said.")
    make_annotation(article=article)
    root = parse(client.get(feed_url(article)))

    assert root.findtext(f"{ATOM}title") == "Annotations on “Budget <story> & more” · Annotated"
    assert root.findtext(f"{ATOM}subtitle") == "What the minister said."
    assert root.findtext(f"{ATOM}id") == "http://testserver/articles/budget/feed/"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "http://testserver/articles/budget/",
        "self": "http://testserver/articles/budget/feed/",
    }
    assert root.findtext(f"{ATOM}updated")


def test_fact_check_entry_fields(client, article, paragraph, make_annotation):
    annotation = make_annotation(
        article=article,
        block="k002",
        kind=Annotation.Kind.FACT_CHECK,
        quote=QUOTE,
        verdict="mistranslation",
        body="The original says *two* percent.",
        tags=["budget", "translation"],
        evidence=[
            {
                "url": "https://stats.example.org/2023",
                "title": "Budget statistics",
                "archived_url": "https://archive.example.org/x",
            },
        ],
    )
    approved_at(annotation, 5)
    entry = entries(parse(client.get(feed_url(article))))[0]

    assert entry.findtext(f"{ATOM}title") == f"Fact-check: Mistranslation — “{QUOTE}”"
    assert entry.findtext(f"{ATOM}id") == permalink(annotation)
    assert entry.find(f"{ATOM}link").get("href") == permalink(annotation)
    assert entry.find(f"{ATOM}link").get("rel") == "alternate"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "author"
    published = entry.findtext(f"{ATOM}published")
    assert published.startswith(annotation.moderated_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert entry.findtext(f"{ATOM}updated") >= published
    assert sorted(c.get("term") for c in entry.findall(f"{ATOM}category")) == ["budget", "translation"]

    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    html = content.text
    assert "<strong>Verdict: Mistranslation</strong>" in html
    assert f"<blockquote><p>{QUOTE}</p></blockquote>" in html
    assert "<em>two</em>" in html  # the sanitised body, as HTML
    assert (
        '<a href="https://stats.example.org/2023" rel="nofollow noopener ugc"><bdi>Budget statistics</bdi></a>' in html
    )
    assert '<a href="https://archive.example.org/x"' in html
    assert f'href="http://testserver/articles/{article.slug}/#p-k002"' in html  # absolute link to the paragraph
    assert entry.find(f"{ATOM}summary") is None


def test_note_titles(client, article, paragraph, make_annotation):
    plain = approved_at(make_annotation(article=article, block="k001"), 10)
    quoted = approved_at(make_annotation(article=article, block="k002", quote=QUOTE), 5)
    titles = {
        e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}title") for e in entries(parse(client.get(feed_url(article))))
    }

    assert titles[permalink(plain)] == "Note on ¶1"
    assert titles[permalink(quoted)] == f"Note on ¶2 — “{QUOTE}”"


def test_long_quotes_are_truncated_in_titles(client, article, set_text, make_annotation):
    words = " ".join(f"word{i}" for i in range(40))
    set_text(article, "k001", words)
    make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, quote=words, verdict="false")
    title = entries(parse(client.get(feed_url(article))))[0].findtext(f"{ATOM}title")

    assert title.startswith("Fact-check: False — “word0 word1")
    assert title.endswith("word11…”")


def test_user_html_is_escaped_inside_html_content(client, article, set_text, make_annotation):
    set_text(article, "k001", f"He wrote {PAYLOAD} <img src=x onerror=alert(2)> there.")
    make_annotation(
        article=article,
        kind=Annotation.Kind.FACT_CHECK,
        quote=PAYLOAD,
        claim='<img src=x onerror=alert(2)> "claim" & more',
        body=f"**Bold** {PAYLOAD} <b onclick=alert(3)>raw</b>",
        evidence=[
            {"url": "https://example.org/?a=1&b=<2>", "title": "<i>Evidence</i>", "excerpt": "<svg onload=alert(4)>"}
        ],
    )
    Annotation.objects.get().tags.add(Tag.objects.create(name="<b>tag</b>", slug="b-tag"))
    response = client.get(feed_url(article))
    root = parse(response)
    entry = entries(root)[0]

    # the raw XML never contains live markup of the user's
    raw = response.content.decode()
    assert "<script" not in raw and "<img" not in raw and "<svg" not in raw and "<b " not in raw
    # the title is plain text: one level of escaping, undone by the XML parser
    assert entry.findtext(f"{ATOM}title") == f"Fact-check: Misleading — “{PAYLOAD}”"
    # the content, once XML-decoded, is HTML in which user text is still escaped
    html = entry.find(f"{ATOM}content").text
    assert "<strong>Bold</strong>" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        "<script" not in html and "<img" not in html and "<svg" not in html and "<b " not in html and "<i>" not in html
    )
    assert "&lt;img src=x onerror=alert(2)&gt; &quot;claim&quot; &amp; more" in html
    assert "&lt;i&gt;Evidence&lt;/i&gt;" in html
    assert 'href="https://example.org/?a=1&amp;b=&lt;2&gt;"' in html
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["<b>tag</b>"]


def test_control_characters_do_not_break_the_feed(client, article, make_annotation):
    make_annotation(article=article, body="Bell \x07 and escape \x1b here.", tags=["fine"])
    Annotation.objects.update(claim="", quote="")
    entry = entries(parse(client.get(feed_url(article))))[0]

    assert "Bell  and escape  here." in entry.find(f"{ATOM}content").text


def test_former_users_are_named_as_such(client, article, make_annotation, author):
    make_annotation(article=article)
    author.delete()
    entry = entries(parse(client.get(feed_url(article))))[0]

    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "a former user"


def test_article_feed_is_limited(client, article, make_annotation, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_LIMIT", 2)
    made = [approved_at(make_annotation(article=article, body=f"Note {i}."), 10 - i) for i in range(4)]
    root = parse(client.get(feed_url(article)))

    assert entry_ids(root) == [permalink(made[3]), permalink(made[2])]


def test_article_feed_of_other_articles_annotations(client, article, make_article, make_annotation):
    other = make_article("Other", slug="other")
    make_annotation(article=other, body="On the other article.")
    root = parse(client.get(feed_url(article)))

    assert entries(root) == []


def test_draft_and_unknown_articles_are_404(client, make_article, make_annotation, editor):
    draft = make_article("Draft", slug="a-draft", status=Article.Status.DRAFT)
    make_annotation(article=draft)

    assert client.get("/articles/no-such-article/feed/").status_code == 404
    assert client.get(feed_url(draft)).status_code == 404
    client.force_login(editor)  # staff may preview drafts on the site, but drafts have no feed
    assert client.get(feed_url(draft)).status_code == 404


def test_feed_accepts_only_safe_methods(client, article):
    assert client.post(feed_url(article)).status_code == 405
    assert client.head(feed_url(article)).status_code == 200


# ---------------------------------------------------------------- the fact-check feed


def test_fact_check_feed_lists_fact_checks_across_published_articles(
    client, article, make_article, make_annotation, unpublishable
):
    other = make_article("Other", slug="other-article")
    Source.objects.filter(article=other).update(original_author="Someone")
    note = make_annotation(article=article, body="LEAK-note-not-a-fact-check")
    first = approved_at(make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, claim="One", body="A."), 20)
    second = approved_at(
        make_annotation(article=other, kind=Annotation.Kind.FACT_CHECK, claim="Two", verdict="accurate", body="B."), 2
    )
    response = client.get("/fact-checks/feed/")
    root = parse(response)

    assert entry_ids(root) == [permalink(second), permalink(first)]
    assert [e.findtext(f"{ATOM}title") for e in entries(root)] == [
        "Fact-check: Accurate — “Two”",
        "Fact-check: Misleading — “One”",
    ]
    assert b"LEAK" not in response.content
    assert permalink(note).encode() not in response.content
    assert root.findtext(f"{ATOM}id") == "http://testserver/fact-checks/feed/"
    assert "Other" in entries(root)[0].find(f"{ATOM}content").text  # names the article it is about


def test_fact_check_feed_when_empty(client, db):
    root = parse(client.get("/fact-checks/feed/"))

    assert entries(root) == []
    assert root.findtext(f"{ATOM}title") == "Fact-checks · Annotated"


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


@pytest.mark.parametrize("size", [(0, 2), (6, 5)], ids=["small", "large"])
def test_article_feed_query_count_is_fixed(client, article, make_annotation, django_assert_num_queries, size):
    _populate(article, make_annotation, paragraphs=size[0], per_paragraph=size[1])
    # 1 the article's id (and version: the cached feed); 2 the article; 3 its annotations joined with author,
    # paragraph and article; 4 their tags; 5 their evidence
    with django_assert_num_queries(5):
        response = client.get(feed_url(article))
    assert len(entries(parse(response))) == Annotation.objects.count()
    # then the same feed from the cache, until the article changes: no query for a reader without a session
    # (annotations.page_cache), the article's id only through the view
    with django_assert_num_queries(0):
        again = client.get(feed_url(article))
    assert again.content == response.content and again["Content-Type"] == response["Content-Type"]
    client.force_login(Annotation.objects.first().author)
    with django_assert_num_queries(1):
        assert client.get(feed_url(article)).content == response.content


@pytest.mark.parametrize("size", [(0, 2), (6, 5)], ids=["small", "large"])
def test_fact_check_feed_query_count_is_fixed(client, article, make_annotation, django_assert_num_queries, size):
    _populate(article, make_annotation, paragraphs=size[0], per_paragraph=size[1])
    # 1 fact-checks joined with author, paragraph and article; 2 their tags; 3 their evidence
    with django_assert_num_queries(3):
        response = client.get("/fact-checks/feed/")
    assert len(entries(parse(response))) == Annotation.objects.filter(kind="fact_check").count()


def test_a_cached_feed_follows_every_change(
    client, article, make_annotation, moderator, django_capture_on_commit_callbacks
):
    from annotations.services import moderation

    make_annotation(article=article, body="First published note.")
    waiting = make_annotation(article=article, status="pending", body="Approved after the feed was cached.")
    first = client.get(feed_url(article)).content.decode()
    assert "First published note." in first and "Approved after the feed" not in first
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=waiting, actor=moderator)
    assert "Approved after the feed was cached." in client.get(feed_url(article)).content.decode()
    # each address has its own entry (absolute links name the host)
    other = client.get(feed_url(article), HTTP_HOST="localhost").content.decode()
    assert "http://localhost/" in other and "http://testserver/" not in other


def test_mention_links_are_absolute_in_the_feed_and_the_markdown_export(client, article, make_annotation, make_user):
    """The renderer links @mentions to a site path (/users/<name>/); a feed reader or a Markdown file has no
    page to resolve it against, so the exports make it absolute (and leave other links alone)."""
    make_user(username="ana")
    annotation = make_annotation(
        article=article, status="approved", body="Ask @ana, or see [the report](https://example.org/r)."
    )
    assert 'href="/users/ana/"' in annotation.body_html  # as the site's pages show it
    feed = client.get(f"{article.get_absolute_url()}feed/").content.decode()
    assert "http://testserver/users/ana/" in feed and "https://example.org/r" in feed
    assert 'href="/users/' not in feed.replace("&quot;", '"')
    markdown = client.get(f"{article.get_absolute_url()}export.md").content.decode()
    assert "(http://testserver/users/ana/)" in markdown and "(https://example.org/r)" in markdown
