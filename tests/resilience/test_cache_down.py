"""The cache is optional at run time (config/cache.py): with Redis unreachable, pages answer from the database.

Real unreachable Redis: the default cache points at a port where nothing
listens (``redis_down``), or at a redis-server of the test's own that it
stops and starts (``own_redis``). Rate limits: logging in, signing up and
password resets fail closed (503), annotating fails open (accounts/ratelimits.py).
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

import config.cache
from annotations.models import Annotation
from tests.factories import PASSWORD
from tests.helpers import annotate_payload
from tests.resilience.conftest import redis_caches

pytestmark = pytest.mark.django_db

NOTE = "Noted while the cache was down."


def cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "config.cache" and r.levelno == logging.WARNING]


@pytest.fixture
def published(make_article, make_annotation, other_user):
    article = make_article("Cache outage", slug="cache-outage")
    make_annotation(article=article, author=other_user, block="k001", body="An approved note.", status="approved")
    return article


def test_the_backend_answers_misses_and_skips_writes(redis_down):
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("k", 1) is False
    assert cache.set("k", 1) is None
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.unavailable is True
    assert cache.ping() is False


def test_the_wrapper_is_what_production_settings_use_for_redis():
    from django.core.cache.backends.redis import RedisCache

    assert issubclass(config.cache.ResilientRedisCache, RedisCache)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/articles/cache-outage/",
        "/articles/cache-outage/?view=fact-checks",
        "/articles/cache-outage/annotations/",  # the W3C collection
        "/articles/cache-outage/feed/",
        "/fact-checks/feed/",
        "/accounts/login/",
        "/accounts/signup/",
        "/tags/",
        "/healthz",
    ],
)
def test_reader_pages_answer_from_the_database(path, client, published, redis_down):
    response = client.get(path)
    assert response.status_code == 200, path
    if path == "/articles/cache-outage/":
        assert "An approved note." in response.content.decode()


def test_a_signed_in_reader_gets_the_article_page(client, published, author, redis_down):
    client.force_login(author)
    response = client.get("/articles/cache-outage/")
    assert response.status_code == 200
    assert "An approved note." in response.content.decode()


def test_the_admin_changelist_and_its_cached_filter_choices(client, published, moderator, redis_down):
    client.force_login(moderator)
    response = client.get("/admin/annotations/annotation/?tag=x")  # the tag filter's choices come from the cache
    assert response.status_code == 200
    note = Annotation.objects.get(body="An approved note.")
    assert (
        f"/admin/annotations/annotation/{note.pk}/change/"
        in client.get("/admin/annotations/annotation/").content.decode()
    )


def test_annotating_fails_open(client, published, author, redis_down, settings, django_capture_on_commit_callbacks):
    settings.ANNOTATIONS_NOTES_POST_MODERATION = True
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/articles/cache-outage/p/k002/annotate/", annotate_payload(body=NOTE))
    assert response.status_code == 302
    assert Annotation.objects.filter(body=NOTE, status="approved").exists()
    page = client.get("/articles/cache-outage/")
    assert NOTE in page.content.decode()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/login/", {"username": "author", "password": PASSWORD}),
        ("/admin/login/", {"username": "moderator", "password": PASSWORD, "next": "/admin/"}),
        (
            "/accounts/signup/",
            {
                "username": "newbie",
                "email": "n@example.org",
                "password1": "a-long pass 42",
                "password2": "a-long pass 42",
            },
        ),
        ("/accounts/password_reset/", {"email": "author@example.org"}),
    ],
)
def test_logging_in_and_signing_up_fail_closed(path, data, client, author, moderator, redis_down):
    users = set(type(author).objects.values_list("username", flat=True))
    response = client.post(path, data)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "temporarily unavailable" in html and "try again in a minute" in html
    assert "_auth_user_id" not in client.session  # not logged in
    assert set(type(author).objects.values_list("username", flat=True)) == users  # nobody signed up


def test_the_fail_closed_list_is_a_setting(client, author, redis_down, settings):
    settings.RATE_LIMITS_FAIL_CLOSED = ("signup",)
    response = client.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert response.status_code == 302  # login now fails open: logged in, uncounted
    assert client.session["_auth_user_id"] == str(author.pk)


def test_login_counts_normally_with_the_cache_up(client, author):
    response = client.post("/accounts/login/", {"username": "author", "password": PASSWORD})
    assert response.status_code == 302


def test_one_warning_per_interval_not_per_request(client, published, caplog, monkeypatch):
    # Retry on every call (no quiet window), so each request really tries Redis and fails.
    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0", RETRY_INTERVAL=0, WARN_INTERVAL=60)):
        config.cache._outages.clear()
        with caplog.at_level(logging.WARNING, logger="config.cache"):
            for _ in range(10):
                assert client.get("/articles/cache-outage/").status_code == 200
            assert len(cache_warnings(caplog)) == 1
            assert "cache unreachable" in cache_warnings(caplog)[0]

            clock = config.cache.time.monotonic() + 61
            monkeypatch.setattr(config.cache.time, "monotonic", lambda: clock)
            assert client.get("/articles/cache-outage/").status_code == 200
            assert client.get("/articles/cache-outage/").status_code == 200
            warnings = cache_warnings(caplog)
        assert len(warnings) == 2
        # the second warning counts the calls that failed quietly in between
        assert "call(s) missed" in warnings[1] and not warnings[1].endswith(" 1 call(s) missed; retrying every 0s")
    config.cache._outages.clear()


def test_after_a_failure_calls_skip_redis_until_the_retry_time(redis_down, monkeypatch):
    cache.get("k")
    attempts = []
    monkeypatch.setattr(
        config.cache.RedisCache, "get", lambda *a, **k: attempts.append(1) or pytest.fail("tried Redis")
    )
    for _ in range(5):
        assert cache.get("k") is None
    assert attempts == []


def test_a_version_bump_missed_while_down_is_not_lost_when_redis_returns(
    client, published, author, own_redis, settings, django_capture_on_commit_callbacks, caplog
):
    """Redis restarts with its data (persistence): unless the missed bump left a trace, the old page is served."""
    settings.ANNOTATIONS_NOTES_POST_MODERATION = True
    with override_settings(CACHES=redis_caches(own_redis.url, RETRY_INTERVAL=0)):
        first = client.get("/articles/cache-outage/")  # anonymous: the whole page is cached
        assert first.status_code == 200 and NOTE not in first.content.decode()
        cached_pages = own_redis.client().keys("resilience-tests:*article-body*")
        assert cached_pages  # the page and its fragment are in Redis

        own_redis.stop()
        writer = type(client)()
        writer.force_login(author)
        with django_capture_on_commit_callbacks(execute=True):
            response = writer.post("/articles/cache-outage/p/k002/annotate/", annotate_payload(body=NOTE))
        assert response.status_code == 302
        assert NOTE in client.get("/articles/cache-outage/").content.decode()  # from the database

        own_redis.start()
        # The old page came back with Redis: it would be served as is if the bump were lost.
        assert set(own_redis.client().keys("resilience-tests:*article-body*")) == set(cached_pages)
        with caplog.at_level(logging.WARNING, logger="config.cache"):
            again = client.get("/articles/cache-outage/")
        assert again.status_code == 200
        assert NOTE in again.content.decode()
        assert any("reachable again" in m for m in cache_warnings(caplog))
        assert not cache.unavailable


def test_a_missed_bump_moves_the_article_in_the_database_and_only_then(
    published, own_redis, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from annotations.caching import bump_article

    before = published.updated_at
    with override_settings(CACHES=redis_caches(own_redis.url)):
        with django_assert_num_queries(0), django_capture_on_commit_callbacks(execute=True):
            bump_article(published.pk)  # the cache took it: nothing written to the database
        published.refresh_from_db()
        assert published.updated_at == before

        own_redis.stop()
        with django_assert_num_queries(1), django_capture_on_commit_callbacks(execute=True):
            bump_article(published.pk)  # missed: one UPDATE of the article's updated_at
        published.refresh_from_db()
        assert published.updated_at > before


def test_pages_stored_before_an_outage_are_not_served_after_it(
    client, published, author, own_redis, settings, django_capture_on_commit_callbacks
):
    """The process that missed the bump is gone (its memory of it too): the epoch that moves when Redis
    answers again still retires every whole page stored before the outage (config.cache.EPOCH_KEY)."""
    import annotations.caching

    settings.ANNOTATIONS_NOTES_POST_MODERATION = True
    with override_settings(CACHES=redis_caches(own_redis.url, RETRY_INTERVAL=0)):
        assert client.get("/articles/cache-outage/").status_code == 200
        assert client.get("/articles/cache-outage/")["Cache-Control"].startswith("public")  # the shared page
        epoch_before = cache.get(config.cache.EPOCH_KEY)

        own_redis.stop()
        writer = type(client)()
        writer.force_login(author)
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                writer.post("/articles/cache-outage/p/k002/annotate/", annotate_payload(body=NOTE)).status_code == 302
            )
        annotations.caching._missed.clear()  # the writer's process exited before Redis came back

        own_redis.start()
        again = client.get("/articles/cache-outage/")
        assert NOTE in again.content.decode()
        assert cache.get(config.cache.EPOCH_KEY) not in (None, epoch_before)


def test_the_epoch_key_is_one_string():
    import annotations.caching

    assert annotations.caching.EPOCH_KEY == config.cache.EPOCH_KEY


def test_one_redis_client_per_pool_not_one_per_call():
    """Django's client makes a redis.Redis per call (about 0.37 ms of CPU each, measured: redis-py builds its
    response-callback table every time); the backend keeps one per pool, shared by every call."""
    backend = config.cache.ResilientRedisCache("redis://127.0.0.1:1/0", {})
    first = backend._cache.get_client(write=True)
    assert backend._cache.get_client() is first and backend._cache.get_client(write=True) is first
    assert first.connection_pool is backend._cache._get_connection_pool(True)
    # with read replicas, one client per server
    replicated = config.cache.ResilientRedisCache("redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", {})
    writer, reader = replicated._cache.get_client(write=True), replicated._cache.get_client()
    assert writer is not reader and reader is replicated._cache.get_client()
    assert reader.connection_pool.connection_kwargs["port"] == 2
