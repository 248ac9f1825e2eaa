"""URLs are normalised once, at input, to valid URIs (``accounts.text.normalise_url``); every output uses the stored form.

Evidence and archived-copy URLs through the public form, the admin and the services; source-detail URLs
through the article admin and the importer. A URL that is not http(s) gets one message, not two.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from accounts.text import normalise_url
from annotations.models import Annotation, Evidence
from annotations.services import EvidenceInput, create_annotation
from articles.models import Source
from tests.helpers import admin_add_payload, annotate_payload

pytestmark = pytest.mark.django_db

HOSTILE = 'https://example.org/"><svg/onload=alert(1)>'
STORED = "https://example.org/%22%3E%3Csvg/onload=alert(1)%3E"
MESSAGE = "Enter an http:// or https:// address."


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (HOSTILE, STORED),
        ("https://example.org/a b?q=ü&x=<1>#frag ment", "https://example.org/a%20b?q=%C3%BC&x=%3C1%3E#frag%20ment"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("https://example.org/a\\b|c^d`e{f}", "https://example.org/a%5Cb%7Cc%5Ed%60e%7Bf%7D"),
        # already valid: unchanged
        ("https://example.org/p?a=1&b=%C3%BC#x", "https://example.org/p?a=1&b=%C3%BC#x"),
        ("  https://example.org/  ", "https://example.org/"),
    ],
)
def test_normalise_url(typed, stored):
    assert normalise_url(typed) == stored
    assert normalise_url(stored) == stored  # idempotent


def hrefs(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


def test_the_public_form_stores_the_normalised_url_and_every_output_uses_it(client, author, moderator, article):
    client.force_login(author)
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": "k001"})
    response = client.post(
        url,
        annotate_payload(
            kind="fact_check",
            verdict="false",
            body="The office says 2.1%.",
            evidence=[{"url": HOSTILE, "title": "Report", "archived_url": HOSTILE.replace("example", "archive")}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    evidence = Evidence.objects.get()
    assert evidence.url == STORED
    assert evidence.archived_url == STORED.replace("example", "archive")
    Annotation.objects.update(status=Annotation.Status.APPROVED)
    annotation = Annotation.objects.get()
    client.logout()
    page = client.get(annotation.get_absolute_url()).content.decode()
    assert STORED in hrefs(page) and STORED.replace("example", "archive") in hrefs(page)
    jsonld = json.loads(client.get(reverse("annotations:annotation-jsonld", kwargs={"pk": annotation.pk})).content)
    assert STORED in json.dumps(jsonld)
    assert HOSTILE not in json.dumps(jsonld)


def test_the_admin_stores_the_normalised_url(client, editor, article):
    client.force_login(editor)
    url = reverse("admin:annotations_annotation_add")
    page = client.get(f"{url}?article={article.pk}")
    data = admin_add_payload(
        page,
        evidence=({"url": HOSTILE, "title": "Report"},),
        article=article.pk,
        block=article.blocks.get(key="k001").pk,
        kind="fact_check",
        verdict="false",
        body="The office says 2.1%.",
    )
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode()
    )
    assert Evidence.objects.get().url == STORED


def test_the_services_store_the_normalised_url(author, article):
    annotation = create_annotation(
        author=author,
        article=article,
        block_key="k001",
        kind="fact_check",
        body="b",
        verdict="false",
        evidence=[EvidenceInput(url=HOSTILE, title="t", archived_url="https://archive.example/ü")],
    )
    evidence = annotation.evidence.get()
    assert (evidence.url, evidence.archived_url) == (STORED, "https://archive.example/%C3%BC")


def errors_shown(response) -> list[str]:
    page = response.content.decode()
    items = []
    for errorlist in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, flags=re.S):
        items += re.findall(r"<li>(.*?)</li>", errorlist, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "ftp://example.org/f"])
def test_a_url_that_is_not_http_gets_one_message(bad, client, author, editor, article, counts):
    before = counts()
    client.force_login(author)
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": "k001"})
    public = client.post(
        url,
        annotate_payload(kind="fact_check", verdict="false", body="b", evidence=[{"url": bad, "title": "t"}]),
    )
    assert public.status_code == 400
    assert errors_shown(public) == [MESSAGE]

    client.force_login(editor)
    add = reverse("admin:annotations_annotation_add")
    page = client.get(f"{add}?article={article.pk}")
    data = admin_add_payload(
        page,
        evidence=({"url": bad, "title": "t"},),
        article=article.pk,
        block=article.blocks.get(key="k001").pk,
        kind="fact_check",
        verdict="false",
        body="b",
    )
    admin_errors = errors_shown(client.post(add, data))
    assert admin_errors.count(MESSAGE) == 1 and "Enter a valid URL." not in admin_errors, admin_errors
    assert counts() == before


def test_source_urls_are_normalised_in_the_article_admin(client, editor, article):
    source = article.source
    source.original_url = HOSTILE
    source.copy_url = "https://copy.example/ü page"
    source.full_clean()
    assert (source.original_url, source.copy_url) == (STORED, "https://copy.example/%C3%BC%20page")
    source.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert STORED in hrefs(page)
    assert Source.objects.get().original_url == STORED


def test_an_unparseable_url_is_refused_not_a_server_error(client, author, article, counts):
    assert normalise_url("https://[::1/x") == "https://[::1/x"  # left for the validator to refuse
    before = counts()
    client.force_login(author)
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": "k001"})
    response = client.post(
        url,
        annotate_payload(
            kind="fact_check", verdict="false", body="b", evidence=[{"url": "https://[::1/x", "title": "t"}]
        ),
    )
    assert response.status_code == 400
    assert errors_shown(response) == [MESSAGE]
    assert counts() == before


def test_the_data_migrations_normalise_urls_stored_before(article, make_annotation):
    """Rows written before issue 18 (raw URLs) get the stored form every output now uses."""
    from importlib import import_module

    from django.apps import apps

    check = make_annotation(article=article, kind="fact_check", verdict="false", claim="c")
    Evidence.objects.filter(annotation=check).update(url=HOSTILE, archived_url="https://archive.example/a b")
    Source.objects.filter(article=article).update(copy_url="https://copy.example/ü", publisher_url="")
    import_module("annotations.migrations.0010_normalise_evidence_urls").normalise(apps, None)
    import_module("articles.migrations.0003_normalise_source_urls").normalise(apps, None)
    evidence = Evidence.objects.get(annotation=check)
    assert (evidence.url, evidence.archived_url) == (STORED, "https://archive.example/a%20b")
    source = Source.objects.get(article=article)
    assert (source.copy_url, source.publisher_url) == ("https://copy.example/%C3%BC", "")
