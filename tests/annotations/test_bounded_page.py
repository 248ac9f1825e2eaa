"""Bounded article pages: the first few annotations beside each paragraph, all of them on the paragraph's page."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Evidence, Tag, TaggedAnnotation
from annotations.selectors.reading import PAGE_BUDGET, PER_PARAGRAPH
from articles.models import Article, Block
from articles.services import BlockEdit, revise_blocks

pytestmark = pytest.mark.django_db

S = Annotation.Status
V = Annotation.Visibility
FC = Annotation.Kind.FACT_CHECK
TEXT = "The budget grew by four percent while the deficit shrank, the minister said on Tuesday."


def cards(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article class="annotation [^"]*" id="a-(\d+)"', html)]


def claim_reviews(html: str) -> list[dict]:
    found = []
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        found.extend(data if isinstance(data, list) else [data])
    return [d for d in found if d.get("@type") == "ClaimReview"]


@pytest.fixture
def crowded(make_article, make_annotation, set_text, author, other_user):
    """Paragraph k001 with 40 public annotations (30 notes written first, then 10 fact-checks), k002 with one."""
    article = make_article("Crowded", slug="crowded", paragraphs=3)
    set_text(article, "k001", TEXT)
    notes = [
        make_annotation(
            article=article, block="k001", body=f"Note {i}", quote="the deficit shrank", tags=["economy"], author=author
        )
        for i in range(30)
    ]
    checks = [
        make_annotation(
            article=article,
            block="k001",
            kind=FC,
            body=f"Check {i}",
            quote="four percent",
            verdict="false" if i % 2 else "misleading",
            author=other_user,
        )
        for i in range(10)
    ]
    lone = make_annotation(article=article, block="k002", body="Lone note", author=author)
    return article, notes, checks, lone


def test_a_crowded_paragraph_shows_the_first_few_and_links_to_all(client, crowded):
    article, notes, checks, lone = crowded
    html = client.get(article.get_absolute_url()).content.decode()
    shown = cards(html)
    # fact-checks before notes, oldest first: the first three fact-checks, and the other paragraph's note
    assert shown == [checks[0].pk, checks[1].pk, checks[2].pk, lone.pk]
    assert PER_PARAGRAPH == 3
    assert '<a class="count" href="#notes-k001">40 annotations</a>' in html  # the count is the paragraph's
    assert '<a href="/articles/crowded/p/k001/">All 40 annotations on this paragraph</a>' in html
    assert "All 1 annotation" not in html  # a paragraph showing all of its own has no such link
    assert "Showing 4 of 41 annotations" in html
    # every quote reference on the page leads to a card on the page
    refs = set(re.findall(r'<a class="quote-ref" href="#a-(\d+)"', html))
    assert refs and refs <= {str(pk) for pk in shown}
    assert f'data-annotations="{notes[0].pk}' not in html  # a hidden note's quote is not highlighted here
    # ClaimReview: the fact-checks shown; each of the rest on its paragraph's page (and permalink)
    assert {r["url"].rsplit("/", 2)[-2] for r in claim_reviews(html)} == {str(c.pk) for c in checks[:3]}
    # the summary links in place only to what the page shows, the rest a filter away
    assert f'href="#a-{checks[4].pk}"' not in html
    assert 'and <a href="?view=fact-checks&amp;verdict=misleading">3 more</a>' in html


def test_the_paragraph_page_shows_every_annotation(client, crowded):
    article, notes, checks, lone = crowded
    response = client.get("/articles/crowded/p/k001/")
    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(cards(html)) == sorted(a.pk for a in notes + checks)
    assert lone.pk not in cards(html)
    assert "<h1>" in html and '<h2 id="annotations-heading">40 annotations</h2>' in html
    assert '<a href="/articles/crowded/#p-k001">Back to this paragraph in' in html
    # every quote is highlighted, and numbered as on the article page (reading order: "four percent" first)
    refs = re.findall(r'<a class="quote-ref" href="#a-(\d+)">', html)
    assert {int(pk) for pk in refs} == {a.pk for a in notes + checks}
    assert "[1]</a>" in html and "[40]</a>" in html
    assert len(claim_reviews(html)) == 10


def test_numbers_follow_the_article_on_a_later_paragraph(client, crowded, make_annotation):
    article, notes, checks, lone = crowded
    html = client.get("/articles/crowded/p/k002/").content.decode()
    assert cards(html) == [lone.pk]
    assert '<span class="annotation-number" aria-hidden="true">[41]</span>' in html


@pytest.mark.parametrize(
    "query, total",
    [
        ("?kind=note", 30),
        ("?view=fact-checks", 10),
        ("?verdict=false", 5),
        ("?tag=economy", 30),
        ("?author=other", 10),
    ],
)
def test_filters_on_both_pages(client, crowded, query, total):
    article, notes, checks, lone = crowded
    html = client.get(f"/articles/crowded/{query}").content.decode()
    link = re.search(r'<a href="(/articles/crowded/p/k001/[^"]*)">All (\d+) annotations on this paragraph</a>', html)
    assert link and int(link.group(2)) == total
    assert link.group(1) == f"/articles/crowded/p/k001/{query}"  # the filters travel with the link
    paragraph = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert len(cards(paragraph)) == total


def test_bad_filter_and_unknown_paragraphs(client, crowded, make_article, editor):
    article, *_ = crowded
    assert client.get("/articles/crowded/p/k001/?verdict=nonsense").status_code == 400
    assert client.get("/articles/crowded/p/k999/").status_code == 404
    assert client.get("/articles/nowhere/p/k001/").status_code == 404
    Block.objects.create(article=article, key="pic", position=9, kind=Block.Kind.IMAGE, text="A chart")
    assert client.get("/articles/crowded/p/pic/").status_code == 404
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    assert client.get("/articles/draft/p/k001/").status_code == 404
    client.force_login(editor)  # staff preview drafts, as on the article page
    response = client.get("/articles/draft/p/k001/")
    assert response.status_code == 200 and "Draft preview." in response.content.decode()
    assert draft.pk


def test_visibility_on_the_paragraph_page(client, crowded, make_annotation, author, other_user, make_user):
    article, *_ = crowded
    pending = make_annotation(article=article, block="k001", body="SECRET pending", status=S.PENDING, author=author)
    private = make_annotation(article=article, block="k001", body="SECRET private", visibility=V.PRIVATE, author=author)
    url = "/articles/crowded/p/k001/"
    assert "SECRET" not in client.get(url).content.decode()
    client.force_login(other_user)
    assert "SECRET" not in client.get(url).content.decode()
    client.force_login(author)
    html = client.get(url).content.decode()
    assert pending.pk in cards(html) and private.pk in cards(html)
    assert "Pending review" in html and "Private: only you" in html
    assert f"/annotations/{pending.pk}/edit/" in html


def test_the_authors_own_annotations_are_shown_on_the_article_page(client, crowded, make_annotation, author):
    article, notes, checks, lone = crowded
    mine = make_annotation(article=article, block="k001", body="My newest note", status=S.PENDING, author=author)
    client.force_login(author)
    html = client.get(article.get_absolute_url()).content.decode()
    # the 30 notes are the author's too: all shown beside the others' first three
    assert set(cards(html)) == {a.pk for a in notes} | {mine.pk, lone.pk} | {c.pk for c in checks[:3]}


def test_a_removed_paragraph_s_address_redirects_to_its_successor(client, make_article):
    long = "The committee met on Tuesday and approved the harbour plan after a long debate about its cost."
    article = make_article(slug="merged", paragraphs=0)
    first = Block.objects.create(article=article, key="first", position=1, text=long)
    Block.objects.create(article=article, key="second", position=2, text="Another paragraph entirely.")
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=long, order=1, block=first, remove=True),
            BlockEdit(kind="paragraph", text="Update: " + long + " The vote was 7 to 2.", order=1),
        ],
    )
    merged = article.blocks.current().exclude(key="second").get()
    response = client.get("/articles/merged/p/first/?kind=note")
    assert response.status_code == 302
    assert response["Location"] == f"/articles/merged/p/{merged.key}/?kind=note"
    assert client.get(response["Location"]).status_code == 200


def test_paragraph_page_queries_do_not_grow(client, make_article, make_annotation, author, other_user):
    article = make_article(slug="counted", paragraphs=3)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/articles/counted/p/k002/").status_code == 200
        return len(ctx.captured_queries)

    make_annotation(article=article, block="k001", body="Before")
    make_annotation(article=article, block="k002", kind=FC, tags=["one"])
    # 1 the article with its source; 2 the paragraph; 3 its annotations with their revision; 4 how many come
    # before it (their numbers); 5 authors; 6 tags; 7 evidence
    assert queries() == 7
    for i in range(30):
        make_annotation(
            article=article, block="k002", kind=FC if i % 2 else "note", tags=[f"t{i}", "shared"], author=other_user
        )
    assert queries() == 7


def _bulk_article(paragraphs: int, per_paragraph: int, users) -> Article:
    """An article with ``paragraphs`` paragraphs of ~300 characters and ``per_paragraph`` approved annotations on
    each (a tenth fact-checks with two evidence sources), two tags each: bulk inserts, a few seconds at 5,000."""
    article = Article.objects.create(title="Large", slug="large", status=Article.Status.PUBLISHED)
    text = " ".join([TEXT] * 3)
    blocks = Block.objects.bulk_create(
        [Block(article=article, key=f"k{i + 1:03d}", position=i + 1, text=text) for i in range(paragraphs)]
    )
    start = text.index("four percent")
    rows = []
    for i in range(paragraphs * per_paragraph):
        fact_check = (i // paragraphs) % 10 == 0  # the 1st, 11th and 21st on each paragraph
        rows.append(
            Annotation(
                article=article,
                block=blocks[i % paragraphs],
                author=users[i % len(users)],
                kind=FC if fact_check else Annotation.Kind.NOTE,
                verdict="misleading" if fact_check else "",
                claim="four percent" if fact_check else "",
                status=S.APPROVED,
                body=f"Annotation {i}, a sentence or two of explanation as readers write them.",
                body_html=f"<p>Annotation {i}, a sentence or two of explanation as readers write them.</p>",
                quote="four percent",
                quote_start=start,
                quote_end=start + len("four percent"),
            )
        )
    Annotation.objects.bulk_create(rows)
    tags = [Tag.objects.create(name=f"topic {i}", slug=f"topic-{i}") for i in range(5)]
    TaggedAnnotation.objects.bulk_create(
        [TaggedAnnotation(content_object=a, tag=tags[(i + k) % 5]) for i, a in enumerate(rows) for k in range(2)]
    )
    Evidence.objects.bulk_create(
        [
            Evidence(annotation=a, url=f"https://example.org/{a.pk}/{p}", title=f"Source {a.pk}.{p}", position=p)
            for a in rows
            if a.kind == FC
            for p in range(2)
        ]
    )
    return article


def test_a_large_article_page_stays_small(client, make_user):
    users = [make_user(f"writer{i}") for i in range(60)]
    article = _bulk_article(200, 25, users)
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert len(response.content) < 500_000
    # 200 annotated paragraphs, a budget of 100 cards: the paragraphs whose first card comes first show it (the
    # oldest fact-checks: the worst case, the largest cards)
    assert len(cards(html)) == PAGE_BUDGET
    assert html.count("All 25 annotations on this paragraph") == 200
    assert "Showing 100 of 5000 annotations" in html
    assert html.count('<option value="writer') == 50  # the most active authors; any name works in the URL
    assert len(claim_reviews(html)) == PAGE_BUDGET  # the fact-checks shown (one first on each paragraph)
    assert len(client.get("/articles/large/p/k200/").content) < 100_000
