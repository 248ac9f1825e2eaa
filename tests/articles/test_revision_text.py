"""An article's text as it read in any recorded revision (articles.revisions.text_at), and its public page."""

import random

from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article
from articles.revisions import text_at
from articles.services import BlockEdit, revise_blocks

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()


def current_text(article: Article) -> list[tuple[str, str, str]]:
    return [(b.key, b.kind, b.text) for b in article.blocks.current()]


def replayed(article: Article, number: int | None = None) -> list[tuple[str, str, str]]:
    revisions = list(article.revisions.order_by("number"))
    if number is not None:
        revisions = [r for r in revisions if r.number <= number]
    return [(b.key, b.kind, b.text) for b in text_at(revisions)]


def random_edits(rng: random.Random, article: Article) -> list[BlockEdit]:
    edits = [BlockEdit(kind=b.kind, text=b.text, order=b.position, block=b) for b in article.blocks.current()]
    for edit in rng.sample(edits, k=rng.randint(1, len(edits))):
        what = rng.choice(["reword", "remove", "move", "keep"])
        if what == "reword":
            edit.text = " ".join(rng.sample(WORDS, 5)) + "."
        elif what == "remove" and sum(not e.remove for e in edits) > 1:
            edit.remove = True
        elif what == "move":
            edit.order = rng.randint(0, len(edits) + 1)
    for _ in range(rng.randint(0, 2)):
        edits.append(
            BlockEdit(
                kind=rng.choice(["paragraph", "heading"]),
                text=" ".join(rng.sample(WORDS, 4)) + ".",
                order=rng.randint(0, len(edits) + 1),
            )
        )
    return edits


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), rounds=st.integers(min_value=1, max_value=5))
def test_replaying_the_revisions_gives_every_text_the_article_had(make_article, seed, rounds):
    rng = random.Random(seed)
    with transaction.atomic():
        article = make_article(paragraphs=rng.randint(1, 6))
        seen = {}
        for _ in range(rounds):
            revision = revise_blocks(article=article, edits=random_edits(rng, article)).revision
            if revision is not None:
                seen[revision.number] = current_text(article)
        if seen:
            assert replayed(article) == current_text(article)
        for number, text in seen.items():
            assert replayed(article, number) == text
        transaction.set_rollback(True)


def test_the_revision_page_shows_the_earlier_text(client, article):
    first = article.blocks.current().first()
    was = first.text
    revise_blocks(article=article, edits=[BlockEdit(kind=first.kind, text="Corrected wording.", order=1, block=first)])

    earlier = client.get(reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 1}))
    assert earlier.status_code == 200
    page = earlier.content.decode()
    assert f'id="p-{first.key}"' in page
    assert was in page
    assert "Corrected wording." not in page
    assert "An earlier text of this article" in page

    latest = client.get(reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 2}))
    assert "Corrected wording." in latest.content.decode()
    assert "The current text of this article" in latest.content.decode()


def test_the_revision_page_escapes_the_text(client, article):
    first = article.blocks.current().first()
    revise_blocks(
        article=article, edits=[BlockEdit(kind=first.kind, text="<script>alert(1)</script>", order=1, block=first)]
    )
    page = client.get(reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 2})).content
    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_revisions_and_drafts_are_404(client, article, make_article):
    url = reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 1})
    assert client.get(url).status_code == 404  # never revised: no revision 1 recorded
    draft = make_article("Draft", status=Article.Status.DRAFT)
    first = draft.blocks.current().first()
    revise_blocks(article=draft, edits=[BlockEdit(kind=first.kind, text="x", order=1, block=first)])
    assert client.get(reverse("articles:article-revision", kwargs={"slug": draft.slug, "number": 1})).status_code == 404
    assert (
        client.post(reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 1})).status_code == 405
    )


def test_the_revision_page_costs_three_queries_whatever_the_revisions(client, article, django_assert_num_queries):
    for n in range(5):
        first = article.blocks.current().first()
        revise_blocks(article=article, edits=[BlockEdit(kind=first.kind, text=f"Text {n}.", order=1, block=first)])
    # the article with its source; its revisions up to the one asked for; the latest revision's number
    with django_assert_num_queries(3):
        response = client.get(reverse("articles:article-revision", kwargs={"slug": article.slug, "number": 4}))
    assert response.status_code == 200
    assert "Text 2." in response.content.decode()  # revision 1 is the baseline, 2 holds "Text 0."
