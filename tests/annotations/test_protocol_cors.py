"""CORS on the protocol's endpoints (config/cors.py): any origin reads; writes only from configured origins."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.tokens import create_token
from annotations.models import Annotation

pytestmark = pytest.mark.django_db

ANYWHERE = "https://anywhere.example"
PARTNER = "https://partner.example"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


@pytest.fixture(autouse=True)
def partner(settings):
    settings.CORS_ALLOWED_ORIGINS = [PARTNER]


@pytest.fixture
def token(author):
    return create_token(user=author, name="t")[1]


def note(article) -> str:
    return json.dumps(
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": {"type": "TextualBody", "value": "From a partner's tool."},
            "target": f"http://testserver/articles/{article.slug}/#p-k001",
        }
    )


def preflight(url, origin, method):
    return Client().options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_any_origin_may_read(article, make_annotation):
    annotation = make_annotation(article=article, block="k001")
    for url in (
        f"/articles/{article.slug}/annotations/",
        f"/articles/{article.slug}/annotations/{annotation.pk}",
        f"/annotations/{annotation.pk}.jsonld",
    ):
        response = Client().get(url, headers={"Origin": ANYWHERE})
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == ANYWHERE
        assert "ETag" in response["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in response
        check = preflight(url, ANYWHERE, "GET")
        assert check.status_code == 200 and check["Access-Control-Allow-Origin"] == ANYWHERE
        assert "authorization" in check["Access-Control-Allow-Headers"]


def test_writes_only_from_configured_origins(article, token):
    url = f"/articles/{article.slug}/annotations/"
    assert "Access-Control-Allow-Origin" not in preflight(url, ANYWHERE, "POST")
    allowed = preflight(url, PARTNER, "POST")
    assert allowed["Access-Control-Allow-Origin"] == PARTNER and "PUT" in allowed["Access-Control-Allow-Methods"]

    headers = {"Authorization": f"Bearer {token}"}
    refused = Client().post(url, note(article), content_type=MEDIA_TYPE, headers={**headers, "Origin": ANYWHERE})
    assert refused.status_code == 403 and "origin" in refused.json()["detail"]
    assert not Annotation.objects.exists()
    response = Client().post(url, note(article), content_type=MEDIA_TYPE, headers={**headers, "Origin": PARTNER})
    assert response.status_code == 201 and response["Access-Control-Allow-Origin"] == PARTNER
    assert "Location" in response["Access-Control-Expose-Headers"]
    # the site itself is no other origin
    same = Client().post(
        url, note(article), content_type=MEDIA_TYPE, headers={**headers, "Origin": "http://testserver"}
    )
    assert same.status_code == 201


def test_other_pages_get_no_cors_headers(article):
    for url in (article.get_absolute_url(), "/", f"/articles/{article.slug}/feed/", "/accounts/tokens/"):
        response = Client().get(url, headers={"Origin": ANYWHERE})
        assert "Access-Control-Allow-Origin" not in response, url
    assert "Access-Control-Allow-Origin" not in preflight("/accounts/tokens/", ANYWHERE, "GET")
