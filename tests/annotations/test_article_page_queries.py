"""The article page with its annotations: a fixed number of queries, and the quote highlighting."""

import re
from types import SimpleNamespace

import pytest

from annotations.selectors.article import highlight_segments
from annotations.selectors.reading import PAGE_BUDGET, PER_PARAGRAPH

pytestmark = pytest.mark.django_db

# The article page's queries, whatever the number of paragraphs and annotations
# (annotations.views.article.article_detail, first render of the body fragment):
#   1. the article with its source (select_related)          articles.selectors.article_for_reading
#   2. its blocks                                              annotations.selectors.article.article_annotation_rows
#   3. every annotation the viewer may see, as a row with its author's name (no text)
#   4. their tags (one join through TaggedAnnotation, values only)
#   5. the ones the page shows, with author, revision, paragraph  annotations.selectors.article.load_cards
#      (the first few of each paragraph's: annotations.selectors.reading.PAGE_BUDGET)
#   6. their evidence
#   7. the article's revisions (the corrections note)          annotations.selectors.revisions.revision_notes
ANONYMOUS_QUERIES = 7
# A reader without a session then gets the whole page from the cache (annotations/page_cache.py): none.
ANONYMOUS_CACHED_QUERIES = 0
# A logged-in reader adds three:
#   6. the session row                                         SessionMiddleware / AuthenticationMiddleware
#   7. the user                                                request.user
#   8. whether the reader wrote annotations on this article   (then the page is rendered for them alone)
LOGGED_IN_QUERIES = ANONYMOUS_QUERIES + 3
LOGGED_IN_CACHED_QUERIES = 4  # session, user, article, "wrote any here?"


def annotated_article(make_article, make_annotation, set_text, *, paragraphs, annotations, authors):
    article = make_article(f"Article with {paragraphs} paragraphs", paragraphs=paragraphs)
    for i in range(paragraphs):
        set_text(
            article, f"k{i + 1:03d}", f"Paragraph {i + 1} says the budget grew and the deficit shrank, or so it claims."
        )
    quotes = ["the budget grew", "the deficit shrank", "so it claims", "budget grew and the deficit"]
    for n in range(annotations):
        kind = "fact_check" if n % 2 else "note"
        make_annotation(
            article=article,
            block=f"k{n % paragraphs + 1:03d}",
            author=authors[n % len(authors)],
            kind=kind,
            quote=quotes[n % len(quotes)],
            body=f"Annotation *{n}*",
            tags=[f"tag {n % 7}", f"topic {n % 3}"],
            evidence=[
                {"url": f"https://example.org/{n}/a", "title": f"Source {n} a"},
                {
                    "url": f"https://example.org/{n}/b",
                    "title": f"Source {n} b",
                    "archived_url": "https://archive.example.org/x",
                },
            ]
            if kind == "fact_check"
            else [],
        )
    return article


@pytest.fixture
def small_and_large(make_article, make_annotation, set_text, author, other_user):
    small = annotated_article(make_article, make_annotation, set_text, paragraphs=5, annotations=3, authors=[author])
    large = annotated_article(
        make_article, make_annotation, set_text, paragraphs=60, annotations=150, authors=[author, other_user]
    )
    return small, large


def rendered_annotation_count(response) -> int:
    return len(re.findall(r'<article class="annotation ', response.content.decode()))


def test_anonymous_article_page_queries_do_not_grow(client, small_and_large, django_assert_num_queries):
    small, large = small_and_large
    with django_assert_num_queries(ANONYMOUS_QUERIES):
        response = client.get(small.get_absolute_url())
    assert rendered_annotation_count(response) == 3
    with django_assert_num_queries(ANONYMOUS_QUERIES):
        response = client.get(large.get_absolute_url())
    # bounded (annotations.selectors.reading.PAGE_BUDGET): 60 annotated paragraphs share 100 cards, one each,
    # the oldest fact-check where there is one; "All 3 annotations on this paragraph" leads to the rest
    assert rendered_annotation_count(response) == 60 == min(PER_PARAGRAPH, PAGE_BUDGET // 60) * 60
    page = response.content.decode()
    assert page.count('<li><a class="tag"') == 120
    assert page.count("All 3 annotations on this paragraph") == 30 and page.count("All 2 annotations") == 30
    assert "Source 59 b" in page  # annotation 59 (the first fact-check on paragraph 60) with its evidence
    assert "Source 149 b" not in page  # the third on paragraph 30: on that paragraph's page
    with django_assert_num_queries(ANONYMOUS_CACHED_QUERIES):
        again = client.get(large.get_absolute_url())
    assert again.content == response.content


def test_logged_in_article_page_queries_do_not_grow(
    client, make_user, small_and_large, make_annotation, django_assert_num_queries
):
    small, large = small_and_large
    reader = make_user("reader", groups=["annotators"])
    client.force_login(reader)
    with django_assert_num_queries(LOGGED_IN_QUERIES):
        response = client.get(small.get_absolute_url())
    assert rendered_annotation_count(response) == 3
    with django_assert_num_queries(LOGGED_IN_QUERIES):
        response = client.get(large.get_absolute_url())
    assert rendered_annotation_count(response) == 60
    with django_assert_num_queries(LOGGED_IN_CACHED_QUERIES):
        client.get(large.get_absolute_url())


def test_a_reader_with_own_annotations_gets_a_personal_page_in_the_same_queries(
    client, other_user, small_and_large, make_annotation, django_assert_num_queries
):
    small, large = small_and_large
    # the reader's own pending and private annotations are shown too, in the same queries
    make_annotation(article=small, author=other_user, status="pending", tags=["mine"])
    make_annotation(article=large, author=other_user, status="pending", tags=["mine"])
    make_annotation(article=large, author=other_user, visibility="private", kind="fact_check")
    client.force_login(other_user)
    with django_assert_num_queries(LOGGED_IN_QUERIES):
        response = client.get(small.get_absolute_url())
    assert rendered_annotation_count(response) == 4
    for _ in range(2):  # never served from the shared cache
        with django_assert_num_queries(LOGGED_IN_QUERIES):
            response = client.get(large.get_absolute_url())
        # the reader's own 77 besides the page's budget, and the 75 of the 30 paragraphs they did not annotate
        # (100 cards for 30 paragraphs: at most 3 each, as many as they have)
        assert rendered_annotation_count(response) == 152
        assert "Pending review" in response.content.decode()
        assert "Private: only you" in response.content.decode()


def test_staff_reader_queries_do_not_grow(client, editor, small_and_large, django_assert_num_queries):
    small, large = small_and_large
    client.force_login(editor)
    with django_assert_num_queries(LOGGED_IN_QUERIES):
        client.get(small.get_absolute_url())
    with django_assert_num_queries(LOGGED_IN_QUERIES):
        client.get(large.get_absolute_url())


def test_cached_page_shows_a_new_published_annotation(client, make_user, article, django_capture_on_commit_callbacks):
    from annotations import services

    trusted = make_user("trusted", groups=["annotators", "trusted annotators"])
    assert "Fresh note" not in client.get(article.get_absolute_url()).content.decode()  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        annotation = services.create_annotation(
            author=trusted, article=article, block_key="k001", kind="note", body="Fresh note"
        )
    assert annotation.status == "approved"
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Fresh note" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_annotation(actor=trusted, annotation=annotation)
    assert "Fresh note" not in client.get(article.get_absolute_url()).content.decode()


# ---------------------------------------------------------------- highlighting on the page

OVERLAP_TEXT = "The quick brown fox jumps over the lazy dog."


def test_overlapping_quotes_get_marks_and_both_references(client, article, set_text, make_annotation):
    set_text(article, "k001", OVERLAP_TEXT)
    first = make_annotation(article=article, quote="quick brown fox")
    second = make_annotation(article=article, quote="brown fox jumps")
    page = client.get(article.get_absolute_url()).content.decode()
    paragraph = re.search(r'<p class="block-text" data-block-key="k001">(.*?)</p>', page, flags=re.S).group(1)
    ref = '<a class="quote-ref" href="#a-{}"><span class="visually-hidden">annotation </span>[{}]</a>'
    assert paragraph == (
        "The "
        f'<mark class="quote-mark" data-annotations="{first.pk}">quick </mark>'
        f'<mark class="quote-mark" data-annotations="{first.pk} {second.pk}">brown fox</mark>'
        + ref.format(first.pk, 1)
        + f'<mark class="quote-mark" data-annotations="{second.pk}"> jumps</mark>'
        + ref.format(second.pk, 2)
        + " over the lazy dog."
    )
    assert f'id="a-{first.pk}"' in page and f'id="a-{second.pk}"' in page


def test_non_bmp_quotes_highlight_the_right_characters(client, article, set_text, make_annotation):
    set_text(article, "k001", "Start 😀 emoji, 𠀀 then 汉字 here and 😀 again.")
    annotation = make_annotation(article=article, quote="𠀀 then 汉字")
    assert (annotation.quote_start, annotation.quote_end) == (15, 24)
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        f'Start 😀 emoji, <mark class="quote-mark" data-annotations="{annotation.pk}">𠀀 then 汉字</mark>'
        f'<a class="quote-ref" href="#a-{annotation.pk}">'
    ) in page
    permalink = client.get(f"/annotations/{annotation.pk}/").content.decode()
    assert 'emoji, <mark class="quote-mark">𠀀 then 汉字</mark> here and 😀 again.' in permalink


def test_paragraph_notes_are_numbered_without_a_mark(client, article, make_annotation):
    annotation = make_annotation(article=article, block="k002")
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<p class="block-text" data-block-key="k002">Paragraph 2 text.</p>' in page
    assert f'id="a-{annotation.pk}"' in page
    assert '<a class="count" href="#notes-k002">1 annotation</a>' in page


# ---------------------------------------------------------------- highlight_segments (pure)


def quoted(pk, text, quote, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return SimpleNamespace(pk=pk, quote=quote, quote_start=start, quote_end=start + len(quote))


def spans(segments):
    return [(s.text, s.annotation_ids, tuple(a.pk for a in s.ends)) for s in segments]


def test_segments_without_quotes_are_the_whole_text():
    paragraph_note = SimpleNamespace(pk=1, quote="", quote_start=None, quote_end=None)
    assert spans(highlight_segments("Some text.", [paragraph_note])) == [("Some text.", (), ())]
    assert spans(highlight_segments("Some text.", [])) == [("Some text.", (), ())]


def test_nested_and_identical_quotes():
    text = "alpha beta gamma delta"
    outer, inner, same = quoted(1, text, "beta gamma delta"), quoted(2, text, "gamma"), quoted(3, text, "gamma")
    assert spans(highlight_segments(text, [outer, inner, same])) == [
        ("alpha ", (), ()),
        ("beta ", (1,), ()),
        ("gamma", (1, 2, 3), (2, 3)),
        (" delta", (1,), (1,)),
    ]


def test_quotes_at_the_edges_of_the_text():
    text = "edge to edge"
    first, last = quoted(1, text, "edge"), quoted(2, text, "edge", occurrence=1)
    assert spans(highlight_segments(text, [first, last])) == [
        ("edge", (1,), (1,)),
        (" to ", (), ()),
        ("edge", (2,), (2,)),
    ]


def test_a_quote_beyond_a_shortened_paragraph_is_not_highlighted():
    stale = SimpleNamespace(pk=1, quote="gone", quote_start=50, quote_end=54)
    assert spans(highlight_segments("Short now.", [stale])) == [("Short now.", (), ())]


def test_segments_rebuild_the_text():
    text = "Start 😀 emoji, 𠀀 then 汉字 here"
    marks = [quoted(1, text, "😀 emoji"), quoted(2, text, "emoji, 𠀀"), quoted(3, text, "汉字 here")]
    segments = highlight_segments(text, marks)
    assert "".join(s.text for s in segments) == text
    assert [s.text for s in segments if 2 in s.annotation_ids] == ["emoji", ", 𠀀"]
