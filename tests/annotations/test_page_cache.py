"""Whole anonymous article pages from the cache (annotations/page_cache.py): no query when warm, never
stale after any change, never shared with a reader who has a session, with ETag/304, gzip and HEAD."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client, override_settings

import annotations.caching
import annotations.page_cache
from annotations.models import Annotation
from annotations.services import moderation

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(article, make_annotation, author):
    make_annotation(article=article, author=author, body="A published note on the first paragraph.")
    return article.get_absolute_url()


def warm(client, url) -> bytes:
    first = client.get(url)
    assert first.status_code == 200
    return first.content


def test_a_warm_anonymous_page_makes_no_query_and_is_the_same_page(client, page, django_assert_num_queries):
    content = warm(client, page)
    with django_assert_num_queries(0):
        again = client.get(page)
    assert again.status_code == 200 and again.content == content
    assert "A published note" in content.decode()
    assert again["Cache-Control"] == "public, max-age=0, s-maxage=30"
    assert again["Vary"] == "Cookie, Accept-Encoding"
    # the headers the inner middleware set are kept: the policy and the annotation service link
    assert "default-src 'self'" in again["Content-Security-Policy"]
    assert again["Link"].endswith('/annotations/>; rel="http://www.w3.org/ns/oa#annotationService"')
    assert again["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in again


def test_etag_and_304(client, page, django_assert_num_queries):
    warm(client, page)
    response = client.get(page)
    etag = response["ETag"]
    with django_assert_num_queries(0):
        not_modified = client.get(page, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert client.get(page, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_gzip_for_clients_that_accept_it(client, page):
    content = warm(client, page)
    response = client.get(page, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == content
    assert int(response["Content-Length"]) == len(response.content) < len(content) / 3
    assert response["ETag"].endswith('-gz"') and response["ETag"] != client.get(page)["ETag"]


def test_head_has_the_headers_and_no_body(client, page):
    content = warm(client, page)
    response = client.head(page)
    assert response.status_code == 200 and response.content == b""
    assert response["Content-Length"] == str(len(content))


def test_a_moderation_decision_is_on_the_next_page(
    client, page, article, make_annotation, moderator, django_capture_on_commit_callbacks
):
    waiting = make_annotation(article=article, status="pending", body="Waiting for a moderator's decision.")
    assert "Waiting for a moderator" not in warm(client, page).decode()
    with django_capture_on_commit_callbacks(execute=True):  # the version is bumped when the decision commits
        moderation.approve(annotation=waiting, actor=moderator)
    assert "Waiting for a moderator" in client.get(page).content.decode()


@pytest.mark.parametrize("change", ["title", "source", "unpublish", "delete"])
def test_article_and_source_changes_by_any_path_are_on_the_next_page(
    change, client, page, article, django_capture_on_commit_callbacks
):
    warm(client, page)
    with django_capture_on_commit_callbacks(execute=True):  # saved through the ORM, as a shell or import would
        if change == "title":
            article.title = "A retitled article"
            article.save()
        elif change == "source":
            article.source.publisher_name = "A renamed publisher"
            article.source.save()
        elif change == "unpublish":
            article.status = article.Status.DRAFT
            article.save()
        else:
            article.delete()
    response = client.get(page)
    if change == "title":
        assert "A retitled article" in response.content.decode()
    elif change == "source":
        assert "A renamed publisher" in response.content.decode()
    else:
        assert response.status_code == 404


def test_a_reader_with_a_session_never_gets_the_shared_page(client, page, author, other_user):
    warm(client, page)
    reader = Client()
    reader.force_login(other_user)
    response = reader.get(page)
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")
    assert "Signed in as" in response.content.decode()
    # and the shared page never carries a reader's name or token
    shared = client.get(page).content.decode()
    assert "Signed in as" not in shared and "csrfmiddlewaretoken" not in shared


def test_a_pending_messages_cookie_skips_the_shared_page(client, page, django_assert_max_num_queries):
    warm(client, page)
    client.cookies["messages"] = "x"
    with django_assert_max_num_queries(20):
        response = client.get(page)
    assert response.status_code == 200 and "public" not in response.get("Cache-Control", "")


def test_each_host_and_query_has_its_own_page(client, page, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    warm(client, page)
    other = client.get(page, HTTP_HOST="other.example")
    assert other["Link"].startswith("<http://other.example/")
    fact_checks = client.get(page + "?view=fact-checks")
    assert fact_checks.content != client.get(page).content


def test_a_bump_missed_while_the_cache_was_down_is_replayed(
    client, page, article, monkeypatch, django_capture_on_commit_callbacks
):
    warm(client, page)
    # the cache refuses the bump: the article is remembered, and bumped on the next request
    monkeypatch.setattr(annotations.caching, "_bump_now", lambda article_id: False)
    Annotation.objects.filter(article=article).update(body_html="<p>Changed while the cache was down.</p>")
    with django_capture_on_commit_callbacks(execute=True):
        annotations.caching.bump_article(article.pk)
    assert annotations.caching._missed == {article.pk}
    monkeypatch.undo()
    try:
        response = client.get(page)
    finally:
        annotations.caching._missed.clear()
    assert annotations.caching._missed == set()
    assert "Changed while the cache was down." in response.content.decode()


def test_an_evicted_version_never_matches_an_older_entry(client, page, article):
    from django.core.cache import cache

    warm(client, page)
    cache.delete(annotations.caching.version_key(article.pk))
    Annotation.objects.filter(article=article).update(body_html="<p>Changed after the eviction.</p>")
    # a fresh version (from the clock) is not the one the entry holds: the view renders again
    assert "Changed after the eviction." in client.get(page).content.decode()


@override_settings(ANNOTATIONS_PAGE_CACHE_SECONDS=0)
def test_it_can_be_turned_off(client, page, django_assert_max_num_queries):
    warm(client, page)
    response = client.get(page)
    assert "public" not in response.get("Cache-Control", "")


# --- this process's copies ---------------------------------------------------------------------------------------


@pytest.fixture
def cache_calls(monkeypatch):
    """The keys each shared-cache read asks for."""
    from django.core.cache import cache

    calls = []
    get_many, get = cache.get_many, cache.get
    inside = []  # the local-memory backend's get_many calls get for each key: count only the callers' reads

    def spy_get_many(keys, *args, **kwargs):
        calls.append(("get_many", list(keys)))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    def spy_get(key, *args, **kwargs):
        if not inside:
            calls.append(("get", [key]))
        return get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", spy_get_many)
    monkeypatch.setattr(cache, "get", spy_get)
    return calls


@pytest.fixture(autouse=True)
def _empty_local_copies():
    annotations.page_cache._local.clear()
    annotations.caching._local_values.clear()
    yield
    annotations.page_cache._local.clear()
    annotations.caching._local_values.clear()


def test_a_page_held_here_reads_only_the_version_and_the_epoch(client, page, article, cache_calls):
    content = warm(client, page)
    cache_calls.clear()
    again = client.get(page)
    assert again.content == content
    # the page itself (about as many bytes as the page, twice with its gzip copy) does not cross the network
    assert cache_calls == [("get_many", [annotations.caching.version_key(article.pk), annotations.caching.EPOCH_KEY])]


def test_a_copy_held_here_is_never_staler_than_the_shared_entry(
    client, page, article, make_annotation, moderator, django_capture_on_commit_callbacks, django_assert_num_queries
):
    warm(client, page)
    ((key, old),) = annotations.page_cache._local.items()
    waiting = make_annotation(article=article, status="pending", body="Approved while a copy was held.")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=waiting, actor=moderator)
    # another process renders the new version into the shared cache; this one still holds the old copy
    assert "Approved while a copy was held." in client.get(page).content.decode()
    annotations.page_cache._local[key] = old
    with django_assert_num_queries(0):  # the shared entry is current: no render
        assert "Approved while a copy was held." in client.get(page).content.decode()
    assert annotations.page_cache._local[key][0]["version"] != old[0]["version"]


def test_the_copies_here_are_bounded_and_expire_with_the_shared_entry(client, page, settings, monkeypatch, cache_calls):
    settings.ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES = 2
    for query in ("", "?view=fact-checks", "?view=clean"):
        warm(client, page + query)
    assert len(annotations.page_cache._local) == 2
    now = annotations.caching.time.monotonic()
    monkeypatch.setattr(annotations.caching.time, "monotonic", lambda: now + settings.ANNOTATIONS_PAGE_CACHE_SECONDS)
    cache_calls.clear()
    client.get(page + "?view=clean")
    assert [len(keys) for _, keys in cache_calls] == [3]  # expired here: the page from the shared cache again


@override_settings(ANNOTATIONS_PAGE_CACHE_LOCAL_ENTRIES=0)
def test_copies_here_can_be_turned_off(client, page, cache_calls):
    warm(client, page)
    assert annotations.page_cache._local == {}
    cache_calls.clear()
    client.get(page)
    assert len(cache_calls) == 1 and len(cache_calls[0][1]) == 3  # the page from the shared cache


def test_exports_held_here_read_only_the_version_and_the_epoch(
    client, page, article, make_annotation, moderator, cache_calls, django_capture_on_commit_callbacks
):
    """The W3C collection and the feeds (annotations.caching.article_cached_value) keep copies here too."""
    for url in (f"{page}annotations/", f"{page}feed/"):
        first = client.get(url).content
        cache_calls.clear()
        assert client.get(url).content == first
        assert cache_calls == [
            ("get_many", [annotations.caching.version_key(article.pk), annotations.caching.EPOCH_KEY])
        ], url
    waiting = make_annotation(article=article, status="pending", body="Approved after the copies were made.")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=waiting, actor=moderator)
    for url in (f"{page}annotations/", f"{page}feed/"):
        assert "Approved after the copies were made." in client.get(url).content.decode(), url


# --- the article's exports: the W3C collection, the Atom feed, the Markdown export -----------------------------


def test_the_surfaces_are_the_urlconfs(article):
    from django.urls import reverse

    slug = {"slug": article.slug}
    expected = {
        "articles:article-detail": "",
        "annotations:article-annotations-collection": "annotations/",
        "annotations:article-feed": "feed/",
        "annotations:article-markdown": "export.md",
    }
    for name, surface in expected.items():
        match = annotations.page_cache.SURFACES.match(reverse(name, kwargs=slug))
        assert match and match["surface"] == surface and match["slug"] == article.slug, name
    for other in (
        reverse("annotations:paragraph-detail", kwargs={**slug, "key": "p1"}),
        reverse("annotations:article-alignment", kwargs=slug),
        reverse("annotations:article-annotation", kwargs={**slug, "pk": 1}),
        reverse("annotations:fact-check-feed"),
    ):
        assert annotations.page_cache.SURFACES.match(other) is None, other


@pytest.mark.parametrize("surface", ["annotations/", "feed/", "export.md"])
def test_a_warm_export_makes_no_query_and_is_the_views_response(client, page, surface, django_assert_num_queries):
    url = page + surface
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert "Set-Cookie" not in again
    assert {"cookie", "accept-encoding"} <= {v.strip().lower() for v in again["Vary"].split(",")}
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip" and gzip.decompress(compressed.content) == first.content
    # the same ETag as the view's, and 304 for it
    assert again["ETag"] == first["ETag"] and compressed["ETag"] == first["ETag"][:-1] + '-gz"'
    with django_assert_num_queries(0):
        assert client.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


def test_the_collection_keeps_its_protocol_headers_and_an_entry_per_accept_and_prefer(client, page):
    url = page + "annotations/"
    first = client.get(url)
    again = client.get(url)
    for name in ("Link", "Allow", "Accept-Post", "Content-Location", "Cache-Control"):
        assert again[name] == first[name], name
    assert again["Cache-Control"] == "no-cache"  # a protocol client revalidates (the ETag makes that a 304)
    assert {"accept", "prefer"} <= {v.strip().lower() for v in again["Vary"].split(",")}
    minimal = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    assert isinstance(client.get(url, HTTP_PREFER=minimal).json()["first"], str)
    assert isinstance(client.get(url).json()["first"], dict)  # not the minimal one
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 406  # its own key, never the cached 200
    assert client.get(url, HTTP_ACCEPT="application/ld+json").status_code == 200


def test_feeds_and_exports_may_be_held_by_a_shared_cache(client, page):
    for surface in ("feed/", "export.md"):
        client.get(page + surface)
        assert client.get(page + surface)["Cache-Control"] == "public, max-age=0, s-maxage=30", surface


def test_a_request_with_credentials_goes_through_the_view(client, page, django_assert_num_queries):
    url = page + "annotations/"
    client.get(url)
    with django_assert_num_queries(1):  # the article (a token is only read by the writes)
        assert client.get(url, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 200


def test_a_head_request_never_makes_the_entry(client, page):
    """A view may leave the body out of a HEAD response: only a GET's response is kept."""
    url = page + "feed/"
    assert client.head(url).status_code == 200
    assert annotations.page_cache._local == {}
    assert client.get(url).content.startswith(b"<?xml")
    assert len(annotations.page_cache._local) == 1
    assert client.head(url)["Content-Length"] == str(len(client.get(url).content))
