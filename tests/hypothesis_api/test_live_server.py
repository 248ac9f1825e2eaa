"""The API over real HTTP (a live server in a thread): the grant exchange, a search, a create and its refusal,
as the client makes them (form-encoded token request, JSON bodies, Bearer header)."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from annotations.models import Annotation
from hypothesis_api import tokens


def _call(url, *, method="GET", data=None, token=None, form=False):
    headers = {"Hypothesis-Client-Version": "1.1766.0"}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the live server on loopback)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_the_client_conversation_over_http(live_server, make_article, make_annotation, make_user):
    article = make_article()
    reader, other = make_user("reader"), make_user("other")
    make_annotation(article=article, author=other, block="k001", quote="text")
    api = f"{live_server.url}/hypothesis/api/"
    page = f"{live_server.url}/articles/{article.slug}/?client=hypothesis"

    status, issued = _call(
        api + "token",
        method="POST",
        form=True,
        data={"grant_type": tokens.JWT_BEARER, "assertion": tokens.grant_token(reader)},
    )
    assert status == 200 and issued["token_type"] == "Bearer"
    token = issued["access_token"]

    status, found = _call(api + "search?" + urllib.parse.urlencode({"uri": page, "sort": "created", "order": "asc"}))
    assert status == 200 and found["total"] == 1

    note = {
        "uri": page,
        "text": "Over HTTP.",
        "tags": ["http"],
        "group": "__world__",
        "permissions": {"read": ["group:__world__"]},
        "target": [
            {
                "source": page,
                "selector": [{"type": "TextQuoteSelector", "exact": "Paragraph 2", "prefix": "", "suffix": " text."}],
            }
        ],
    }
    status, created = _call(api + "annotations", method="POST", data=note, token=token)
    assert status == 200, created
    assert Annotation.objects.get(pk=created["id"]).block.key == "k002"

    status, refused = _call(api + "annotations", method="POST", data=note)
    assert status == 401 and refused["status"] == "failure"
    status, refused = _call(api + "annotations", method="POST", data=note, token="hyp_a_stale")
    assert status == 401 and "reload the page" in refused["reason"]
