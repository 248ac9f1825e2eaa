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
