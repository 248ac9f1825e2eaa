"""Query counts of the public reading surfaces stay fixed whatever the amount of data.

Each test builds a small and a large data set and pins the same count for
both, with a comment naming the queries.
"""

import pytest

from annotations.models import Annotation

FC = Annotation.Kind.FACT_CHECK


@pytest.fixture
def sizes(make_article, make_annotation, make_user):
    """Two articles: 'small' with 2 annotations, 'large' with 80 by 8 authors, all tagged 'shared'."""
    small = make_article("Small", slug="small", paragraphs=2)
    large = make_article("Large", slug="large", paragraphs=40)
    authors = [make_user(f"writer{i}") for i in range(8)]
    made = {"small": [], "large": []}
    for i in range(2):
        made["small"].append(
            make_annotation(
                article=small,
                block=f"k{i + 1:03d}",
                author=authors[0],
                tags=["shared", "one"],
                kind=FC if i else "note",
            )
        )
    for i in range(80):
        made["large"].append(
            make_annotation(
                article=large,
                block=f"k{i % 40 + 1:03d}",
                author=authors[i % 8],
                tags=["shared", f"t{i % 7}", "x"],
                kind=FC if i % 3 else "note",
                body=f"Body shared words {i}",
            )
        )
    return made, authors


def test_permalink(client, sizes, django_assert_num_queries):
    made, _ = sizes
    for size in ("small", "large"):
        annotation = made[size][-1]
        # 1 the annotation with author, block, article, source (and the annotations above it, for a reply);
        # 2 tags; 3 evidence; 4 the replies on its paragraph, its thread (their tags: none when there is none)
        with django_assert_num_queries(4):
            assert client.get(f"/annotations/{annotation.pk}/").status_code == 200


def test_tag_page(client, sizes, django_assert_num_queries):
    # 1 the tag; 2 its annotations with author, block, article; 3 tags; 4 evidence
    with django_assert_num_queries(4):
        assert client.get("/tags/shared/").status_code == 200
    with django_assert_num_queries(4):
        assert client.get("/tags/one/").status_code == 200


def test_tag_index(client, sizes, django_assert_num_queries):
    # 1 tags with their public counts (one grouped query)
    with django_assert_num_queries(1):
        assert client.get("/tags/").status_code == 200


def test_author_page(client, sizes, django_assert_num_queries):
    _, authors = sizes
    for author in (authors[0], authors[5]):
        # 1 the user; 2 annotations with block, article; 3 tags; 4 evidence
        with django_assert_num_queries(4):
            assert client.get(f"/users/{author.username}/").status_code == 200


@pytest.mark.parametrize("q", ["shared", "Body shared words", "one"])
def test_search(client, sizes, django_assert_num_queries, q):
    # 1 paragraphs; 2 annotations with article, block, author; 3 tags; 4 evidence
    with django_assert_num_queries(4):
        assert client.get("/search/", {"q": q}).status_code == 200


def test_article_page_all_views(client, sizes, django_assert_num_queries):
    for slug in ("small", "large"):
        for query in ("", "?view=fact-checks", "?view=clean", "?tag=shared&kind=fact_check", "?author=writer0"):
            from django.core.cache import cache

            cache.clear()
            # 1 article + source; 2 blocks; 3 every visible annotation's row with its author's name; 4 their
            # tags; 5 the annotations the page shows (cards, and the ClaimReview's fact-checks, in the clean view
            # too) with author, revision, paragraph; 6 their evidence; 7 the article's revisions (corrections note)
            with django_assert_num_queries(7):
                assert client.get(f"/articles/{slug}/{query}").status_code == 200
            # warm, without a session: the whole page from the cache (annotations/page_cache.py), no query
            with django_assert_num_queries(0):
                assert client.get(f"/articles/{slug}/{query}").status_code == 200
