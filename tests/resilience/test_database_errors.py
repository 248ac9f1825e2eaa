"""A database that is restarting or unreachable: a clean 503 page, not a 500 (config/database_errors.py)."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import Client

import annotations.views.article

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_fails(monkeypatch):
    """The article page's first query raises ``error`` (as a cut connection does)."""

    def fail_with(error):
        def lookup(**kwargs):
            raise error

        monkeypatch.setattr(annotations.views.article, "article_for_reading", lookup)

    return fail_with


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_connection_is_a_clean_503(error, client, article, database_fails, caplog, django_assert_num_queries):
    database_fails(error)
    with caplog.at_level(logging.WARNING), django_assert_num_queries(0):  # the page needs no database
        response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "Temporarily unavailable" in html and "try again in a minute" in html
    assert "Traceback" not in html and type(error).__name__ not in html
    logged = [r for r in caplog.records if r.name == "config.database"]
    assert len(logged) == 1 and type(error).__name__ in logged[0].getMessage()
    # Django's own one-line "Service Unavailable" response log, no "Internal Server Error" with a traceback
    assert [(r.name, r.getMessage(), r.exc_info) for r in caplog.records if r.levelno >= logging.ERROR] == [
        ("django.request", f"Service Unavailable: /articles/{article.slug}/", None)
    ]


def test_other_database_errors_stay_500s(article, database_fails):
    database_fails(IntegrityError("duplicate key"))
    response = Client(raise_request_exception=False).get(f"/articles/{article.slug}/")
    assert response.status_code == 500


def _session_saved_after_the_view(author, settings, monkeypatch, error):
    # The session is saved by its middleware after the view returned (on every request here), which is
    # outside the view's exception handling: handler500 (config.database_errors.server_error) answers.
    from django.contrib.sessions.backends.db import SessionStore

    client = Client(raise_request_exception=False)
    client.force_login(author)
    settings.SESSION_SAVE_EVERY_REQUEST = True

    def save(self, must_create=False):
        raise error

    monkeypatch.setattr(SessionStore, "save", save)
    return client.get("/accounts/annotations/")


def test_the_database_failing_after_the_view_is_a_503_too(author, settings, monkeypatch, caplog):
    with caplog.at_level(logging.WARNING):
        response = _session_saved_after_the_view(
            author, settings, monkeypatch, OperationalError("server closed the connection unexpectedly")
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"could not reach its database" in response.content
    assert any(r.name == "config.database" and "GET /accounts/annotations/" in r.getMessage() for r in caplog.records)


def test_other_errors_after_the_view_get_the_static_500_page(author, settings, monkeypatch):
    response = _session_saved_after_the_view(author, settings, monkeypatch, ValueError("a bug"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>" in html and "a bug" not in html and "Traceback" not in html
