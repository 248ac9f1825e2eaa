"""The article page's Hypothesis option and its ``?client=hypothesis`` variant; the sidebar's app page.

The variant carries the client's configuration (a grant token for a signed-in reader only), its CSP allows the
client's frame on that response alone, and it never goes into (or comes out of) the anonymous page cache.
"""

import json
import re

import jwt
import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from annotations.page_cache import _page_key
from hypothesis_api import tokens

pytestmark = pytest.mark.django_db

OPTION = "Annotate with the Hypothesis sidebar"


def _config(response) -> dict:
    match = re.search(
        rb'<script type="application/json" class="js-hypothesis-config" id="hypothesis-host-config">(.*?)</script>',
        response.content,
        re.S,
    )
    assert match, "no client configuration on the page"
    return json.loads(match[1])


def _csp(response) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in response["Content-Security-Policy"].split(";")
    }


def test_every_article_page_offers_the_sidebar(client, article):
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert f'<a href="/articles/{article.slug}/?client=hypothesis" rel="nofollow">{OPTION}</a>' in html
    assert "js-hypothesis-config" not in html and "boot.js" not in html
    # the strict policy everywhere else: no frames, none of the client's needs
    assert "frame-src" not in _csp(response) and _csp(response)["frame-ancestors"] == "'none'"


def test_the_variant_configures_the_client_read_only_for_an_anonymous_reader(client, article):
    response = client.get(f"{article.get_absolute_url()}?client=hypothesis")
    assert response.status_code == 200
    config = _config(response)
    (service,) = config["services"]
    assert service["apiUrl"] == "http://testserver/hypothesis/api/"
    assert service["authority"] == tokens.authority()
    assert service["grantToken"] is None
    assert config["sidebarAppUrl"] == "http://testserver/hypothesis/app.html"
    assert config["assetRoot"] == "http://testserver/static/hypothesis/"
    assert config["siteLinks"]["login"] == f"/accounts/login/?next=/articles/{article.slug}/?client=hypothesis"
    html = response.content.decode()
    assert '<script src="/static/hypothesis_api/host-config.js" defer></script>' in html
    assert '<script src="http://testserver/static/hypothesis/build/boot.js" defer></script>' in html
    assert "js/annotate.js" not in html  # the sidebar's adder, not the site's own, on this page
    assert "Back to the site’s own annotations" in html
    # no inline script: the configuration is JSON, the scripts are files
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", html)
    assert _csp(response)["frame-src"] == "'self'"
    assert _csp(response)["script-src"] == "'self'"
    assert response["Cache-Control"] == "private, no-store"


def test_a_signed_in_reader_gets_a_grant_token(client, article, author):
    client.force_login(author)
    response = client.get(f"{article.get_absolute_url()}?client=hypothesis")
    grant = _config(response)["services"][0]["grantToken"]
    claims = jwt.decode(grant, options={"verify_signature": False})
    assert claims["sub"] == f"acct:author@{tokens.authority()}"
    # it is exchanged for tokens
    exchanged = client.post("/hypothesis/api/token", {"grant_type": tokens.JWT_BEARER, "assertion": grant})
    assert exchanged.status_code == 200 and exchanged.json()["access_token"]


def _cached(path: str):
    return cache.get(_page_key(RequestFactory().get(path), surface=""))


def test_the_variant_never_goes_through_the_anonymous_page_cache(client, article):
    plain, variant = article.get_absolute_url(), f"{article.get_absolute_url()}?client=hypothesis"
    client.get(plain)
    assert _cached(plain) is not None  # the plain page is shared with readers without a session
    for _ in range(2):
        response = client.get(variant)
        assert _config(response)["services"][0]["grantToken"] is None
    assert _cached(variant) is None
    # and the plain page never serves the variant's configuration (nor the other way round)
    assert b"js-hypothesis-config" not in client.get(plain).content


def test_the_variant_keeps_the_reading_filters(client, article):
    response = client.get(f"{article.get_absolute_url()}?client=hypothesis&view=annotated")
    assert response.status_code == 200 and _config(response)
    assert client.get(f"{article.get_absolute_url()}?client=hypothesis&verdict=nope").status_code == 400


def test_the_sidebar_app_page(client):
    response = client.get("/hypothesis/app.html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<hypothesis-app></hypothesis-app>" in html
    config = json.loads(re.search(r'class="js-hypothesis-config">(.*?)</script>', html, re.S)[1])
    assert config == {
        "apiUrl": "http://testserver/hypothesis/api/",
        "authDomain": tokens.authority(),
        "oauthClientId": tokens.CLIENT_ID,
        "rpcAllowedOrigins": ["http://testserver"],
        "assetRoot": "http://testserver/static/hypothesis/",
    }
    assert '<script src="http://testserver/static/hypothesis/build/boot.js"></script>' in html
    # framed by our own article page only
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert _csp(response)["frame-ancestors"] == "'self'"
    assert client.get("/hypothesis/notebook").status_code == 404
    assert client.get("/hypothesis/notebook")["X-Frame-Options"] == "SAMEORIGIN"


def test_the_client_is_served_as_static_files(client):
    boot = client.get("/static/hypothesis/build/boot.js")
    assert boot.status_code == 200
    manifest = json.loads(b"".join(client.get("/static/hypothesis/build/manifest.json").streaming_content))
    bundle = manifest["scripts/sidebar.bundle.js"].split("?")[0]
    assert client.get(f"/static/hypothesis/build/{bundle}").status_code == 200


def test_without_the_client_the_option_says_how_to_install_it(client, article, tmp_path):
    with override_settings(HYPOTHESIS_CLIENT_BUILD=tmp_path / "missing"):
        html = client.get(article.get_absolute_url()).content.decode()
        assert "its client is not installed on this server" in html and "make run" in html
        assert "?client=hypothesis" not in html
        variant = client.get(f"{article.get_absolute_url()}?client=hypothesis")
        assert variant.status_code == 200 and b"js-hypothesis-config" not in variant.content
        assert "frame-src" not in _csp(variant)
        assert b"not installed" in client.get("/hypothesis/app.html").content
