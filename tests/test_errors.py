"""The error pages readers see with DEBUG off: styled, CSP-compliant, and the 500 page needs no database.

This module is also the URLconf of its tests (``pytest.mark.urls``): the
site's URLs plus a view that raises, one that refuses, and a form to post to.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template import loader
from django.test import Client
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site_patterns


def _boom(request):
    raise RuntimeError("a bug in a view")


def _forbidden(request):
    raise PermissionDenied


@require_POST
def _form(request):
    return HttpResponse("saved")


urlpatterns = [
    *site_patterns,
    path("test-errors/boom/", _boom),
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/form/", _form),
]

pytestmark = pytest.mark.urls(__name__)

# an inline <script> (one without src=), a <style> element or a style= attribute: all blocked by the site's CSP
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def assert_clean(response, template: str, status: int) -> str:
    assert response.status_code == status
    assert template in [t.name for t in response.templates]
    page = response.content.decode()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "/static/css/site.css" in page  # styled by the site's stylesheet, not bare text
    assert not INLINE.search(page), INLINE.search(page).group(0)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    return page


@pytest.mark.django_db
def test_404_is_the_site_page(client, production):
    page = assert_clean(client.get("/no-such-page/"), "404.html", 404)
    assert "Page not found" in page
    assert 'href="/"' in page  # the site's navigation around it


@pytest.mark.django_db
def test_403_is_the_site_page(client, production):
    page = assert_clean(client.get("/test-errors/forbidden/"), "403.html", 403)
    assert "You are not allowed to do this" in page


@pytest.mark.django_db
def test_403_keeps_the_signed_in_reader_s_navigation(client, production, author):
    client.force_login(author)
    page = assert_clean(client.get("/test-errors/forbidden/"), "403.html", 403)
    assert "Signed in as <strong><bdi>author</bdi></strong>" in page
    assert 'href="/login/' not in page


@pytest.mark.django_db
def test_csrf_failure_explains_the_expired_form(production):
    client = Client(enforce_csrf_checks=True)
    page = assert_clean(client.post("/test-errors/form/", {"body": "x"}), "403_csrf.html", 403)
    assert "The form expired" in page
    assert "reload the page with the form" in page
    assert "cookies" in page
    # Django's csrf_failure view renders templates/403_csrf.html with the request: the site's layout
    assert f"The form expired · {production.SITE_NAME}</title>" in page
    assert "saved" not in page.split("Nothing was saved")[0]  # the view did not run


def test_500_is_static_and_needs_no_database(production):
    """No ``db`` fixture: pytest-django fails any query, so the page provably renders without the database."""
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/boom/")
    page = assert_clean(response, "500.html", 500)
    assert "Something went wrong on our side" in page


def test_500_renders_with_an_empty_context():
    """As Django's ``server_error`` does: no request, no context processors."""
    page = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in page
    assert not INLINE.search(page)
    assert "{{" not in page and "{%" not in page


def test_favicon_ico_answers(client, production):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
