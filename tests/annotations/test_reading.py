"""The article page's views, filters, summary, caching and what it never leaks."""

import pytest
from django.test import Client

from annotations.models import Annotation
from articles.models import Source

S = Annotation.Status
V = Annotation.Visibility
FC = Annotation.Kind.FACT_CHECK


@pytest.fixture
def reading_article(make_article, make_annotation, author, other_user):
    article = make_article("Readable", slug="readable", paragraphs=4)
    Source.objects.filter(article=article).update(is_translation=True, translated_from="Chinese")
    make_annotation(article=article, block="k001", body="Public note one", tags=["tone"], author=author)
    make_annotation(
        article=article,
        block="k002",
        kind=FC,
        body="Public check",
        verdict="mistranslation",
        quote="Paragraph 2",
        tags=["translation"],
        author=other_user,
    )
    make_annotation(article=article, block="k003", kind=FC, body="False check", verdict="false", author=author)
    # never public
    make_annotation(article=article, block="k001", body="SECRET pending", status=S.PENDING, author=other_user)
    make_annotation(article=article, block="k001", body="SECRET rejected", status=S.REJECTED, author=other_user)
    make_annotation(article=article, block="k001", body="SECRET hidden", status=S.HIDDEN, author=other_user)
    make_annotation(article=article, block="k001", body="SECRET private", visibility=V.PRIVATE, author=other_user)
    return article


def page(client, article, query=""):
    return client.get(f"/articles/{article.slug}/{query}")


def test_annotated_view_shows_public_annotations_and_summary(client, reading_article):
    response = page(client, reading_article)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Public note one" in html and "Public check" in html and "False check" in html
    assert "SECRET" not in html
    assert "2 claims checked" in html
    assert "This copy is a translation." in html
    assert "1 fact-check concerns the translation" in html
    assert "3 published annotations" in html


def test_fact_checks_view_hides_notes(client, reading_article):
    html = page(client, reading_article, "?view=fact-checks").content.decode()
    assert "Public check" in html and "False check" in html
    assert "Public note one" not in html
    # the summary is about the whole article whatever the view
    assert "2 claims checked" in html


def test_clean_view_has_no_annotations_or_highlights(client, reading_article):
    html = page(client, reading_article, "?view=clean").content.decode()
    assert 'class="annotation ' not in html
    assert 'class="quote-mark"' not in html
    assert "Paragraph 2 text." in html


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ("?kind=note", ["Public note one"], ["Public check", "False check"]),
        ("?verdict=false", ["False check"], ["Public check", "Public note one"]),
        ("?tag=translation", ["Public check"], ["False check", "Public note one"]),
        ("?author=author", ["Public note one", "False check"], ["Public check"]),
        ("?author=author&kind=fact_check", ["False check"], ["Public check", "Public note one"]),
        ("?tag=no-such-tag", [], ["Public check", "False check", "Public note one"]),
        ("?author=nobody", [], ["Public check", "False check", "Public note one"]),
    ],
)
def test_filters_combine_and_are_shareable(client, reading_article, query, shown, hidden):
    response = page(client, reading_article, query)
    html = response.content.decode()
    assert response.status_code == 200
    for text in shown:
        assert text in html
    for text in hidden:
        assert f"<p>{text}</p>" not in html


@pytest.mark.parametrize("query", ["?verdict=bogus", "?kind=poem", "?view=upside-down", "?tag=%3Cscript%3E"])
def test_bad_filters_are_a_clear_400(client, reading_article, query):
    response = page(client, reading_article, query)
    assert response.status_code == 400
    assert "not understood" in response.content.decode()


def test_paragraph_counts(client, reading_article):
    html = page(client, reading_article).content.decode()
    assert ">1 annotation</a>" in html


def test_author_sees_own_pending_and_private_but_not_others(client, reading_article, other_user, author):
    client.force_login(other_user)
    html = page(client, reading_article).content.decode()
    assert "SECRET pending" in html and "SECRET private" in html and "SECRET hidden" in html
    client.force_login(author)
    html = page(client, reading_article).content.decode()
    assert "SECRET" not in html


def test_cached_fragment_never_carries_another_users_items(reading_article, other_user, make_user):
    """other_user's own page is rendered for them alone; a third member gets the shared fragment."""
    owner = Client()
    owner.force_login(other_user)
    first = owner.get("/articles/readable/").content.decode()
    assert "SECRET pending" in first and "Edit</a>" in first
    stranger = Client()
    stranger.force_login(make_user("stranger"))
    for _ in range(2):  # the second request is served from the cache
        html = stranger.get("/articles/readable/").content.decode()
        assert "SECRET" not in html
        assert "/edit/" not in html
        assert "stranger" in html  # their own name in the header, never someone else's
        assert "Signed in as <strong>other" not in html
    anonymous = Client()
    for _ in range(2):
        html = anonymous.get("/articles/readable/").content.decode()
        assert "SECRET" not in html and "/flag/" not in html and "Signed in as" not in html
        assert "csrfmiddlewaretoken" not in html.split('class="article-body"')[1]


def test_cache_is_invalidated_by_a_new_annotation(
    client, reading_article, make_user, settings, django_capture_on_commit_callbacks
):
    from annotations.services import create_annotation

    settings.ANNOTATIONS_NOTES_POST_MODERATION = True
    assert "Brand new note" not in page(client, reading_article).content.decode()
    # the version bump runs when the write commits
    with django_capture_on_commit_callbacks(execute=True):
        create_annotation(
            author=make_user("writer"), article=reading_article, block_key="k004", kind="note", body="Brand new note"
        )
    assert "Brand new note" in page(client, reading_article).content.decode()


def test_cache_is_invalidated_by_moderation(client, reading_article, moderator, django_capture_on_commit_callbacks):
    from annotations.services import moderation

    pending = Annotation.objects.get(body="SECRET pending")
    assert "SECRET pending" not in page(client, reading_article).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=pending, actor=moderator)
    assert "SECRET pending" in page(client, reading_article).content.decode()


def test_article_page_queries_do_not_grow_with_data(client, make_article, make_annotation, django_assert_num_queries):
    small = make_article("Small", slug="small", paragraphs=3)
    make_annotation(article=small, block="k001", tags=["a"])
    big = make_article("Big", slug="big", paragraphs=40)
    for i in range(40):
        make_annotation(article=big, block=f"k{i + 1:03d}", tags=["a", f"t{i}"], kind=FC if i % 2 else "note")
    for article in (small, big):
        # 1 article + source, 2 blocks, 3 annotations + revisions, 4 authors, 5 tags, 6 evidence,
        # 7 revisions (corrections note)
        with django_assert_num_queries(7):
            page(client, article, "?view=annotated&tag=a")


def test_permalink_of_unpublished_annotations_is_404(client, reading_article):
    for body in ("SECRET pending", "SECRET rejected", "SECRET hidden", "SECRET private"):
        annotation = Annotation.objects.get(body=body)
        assert client.get(f"/annotations/{annotation.pk}/").status_code == 404


def test_tag_index_counts_only_public(client, reading_article, make_annotation):
    make_annotation(article=reading_article, block="k004", body="x", tags=["ghost"], status=S.PENDING)
    html = client.get("/tags/").content.decode()
    assert "tone" in html and "translation" in html
    assert "ghost" not in html
    assert client.get("/tags/ghost/").content.decode().count('class="annotation ') == 0


def test_author_page(client, reading_article):
    html = client.get("/users/other/").content.decode()
    assert "Public check" in html and "SECRET" not in html
    assert client.get("/users/nobody-here/").status_code == 404


@pytest.mark.parametrize(
    "q, finds",
    [("Public note", "Public note one"), ("mistranslation check", None), ("Paragraph 3", "Paragraph 3 text.")],
)
def test_search(client, reading_article, q, finds):
    response = client.get("/search/", {"q": q})
    html = response.content.decode()
    assert response.status_code == 200
    if finds:
        assert finds in html
    assert "SECRET" not in html


def test_search_finds_by_tag_and_never_unpublished(client, reading_article):
    html = client.get("/search/", {"q": "translation"}).content.decode()
    assert "Public check" in html
    assert "SECRET" not in client.get("/search/", {"q": "SECRET"}).content.decode().split("</form>")[1]


def test_search_refuses_overlong_queries(client, reading_article):
    assert client.get("/search/", {"q": "x" * 201}).status_code == 400
    assert client.get("/search/", {"q": ""}).status_code == 200


def test_article_page_link_header_and_metadata(client, reading_article):
    response = page(client, reading_article)
    assert 'rel="http://www.w3.org/ns/oa#annotationService"' in response["Link"]
    html = response.content.decode()
    assert '<link rel="canonical" href="http://testserver/articles/readable/">' in html
    assert 'property="og:title" content="Readable"' in html


def test_without_the_commit_the_cached_page_stays(client, reading_article, moderator):
    """Proves the bump happens on commit (no stale re-fill from an uncommitted state)."""
    from annotations.services import moderation

    pending = Annotation.objects.get(body="SECRET pending")
    page(client, reading_article)
    moderation.approve(annotation=pending, actor=moderator)  # on_commit callbacks not run
    assert "SECRET pending" not in page(client, reading_article).content.decode()


def _json_ld(html: str) -> list:
    import json
    import re

    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    found = []
    for block in blocks:
        data = json.loads(block)
        found.extend(data if isinstance(data, list) else [data])
    return found


def test_claim_reviews_embedded_on_the_article_page_whatever_the_filter(client, reading_article):
    for query in ("", "?kind=note", "?view=clean"):
        reviews = [
            d
            for d in _json_ld(page(client, reading_article, query).content.decode())
            if d.get("@type") == "ClaimReview"
        ]
        assert sorted(r["reviewRating"]["alternateName"] for r in reviews) == ["False", "Mistranslation"]


def test_claim_review_on_the_permalink(client, reading_article):
    check = Annotation.objects.get(body="False check")
    reviews = _json_ld(client.get(f"/annotations/{check.pk}/").content.decode())
    assert [r["@type"] for r in reviews] == ["ClaimReview"]
    assert reviews[0]["url"].endswith(f"/annotations/{check.pk}/")
    note = Annotation.objects.get(body="Public note one")
    assert _json_ld(client.get(f"/annotations/{note.pk}/").content.decode()) == []


def test_anonymous_readers_get_the_whole_page_from_the_cache(client, reading_article):
    first = page(client, reading_article)
    second = page(client, reading_article)
    assert first.templates and not second.templates  # the second was not rendered
    assert second.content == first.content
    assert 'rel="http://www.w3.org/ns/oa#annotationService"' in second["Link"]


def test_a_reader_with_a_session_or_messages_never_gets_the_shared_page(client, reading_article):
    page(client, reading_article)  # fills the shared page
    client.cookies["messages"] = "pending"
    assert page(client, reading_article).templates  # rendered for them
    del client.cookies["messages"]
    client.cookies["sessionid"] = "some-session"
    assert page(client, reading_article).templates


def test_the_shared_page_follows_the_article_version(
    client, reading_article, moderator, django_capture_on_commit_callbacks
):
    from annotations.services import moderation

    page(client, reading_article)
    pending = Annotation.objects.get(body="SECRET pending")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=pending, actor=moderator)
    assert "SECRET pending" in page(client, reading_article).content.decode()


def test_renaming_a_tag_refreshes_the_cached_page(client, reading_article, editor, django_capture_on_commit_callbacks):
    from annotations.models import Tag

    assert "><bdi>tone</bdi></a>" in page(client, reading_article).content.decode()
    tag = Tag.objects.get(name="tone")
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/annotations/tag/{tag.pk}/change/", {"name": "register", "slug": "register"})
    assert response.status_code == 302
    client.logout()
    html = page(client, reading_article).content.decode()
    assert "><bdi>register</bdi></a>" in html and "tone</bdi></a>" not in html
