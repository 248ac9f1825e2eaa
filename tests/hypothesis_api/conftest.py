"""Fixtures for the Hypothesis client's API: tokens for a persona, and calls with them."""

import json

import pytest

from hypothesis_api import tokens

API = "/hypothesis/api/"


@pytest.fixture
def access_token():
    """access_token(user) -> an access token, as the sidebar gets it from the page's grant token."""

    def make(user):
        return tokens.exchange_grant(assertion=tokens.grant_token(user)).access_token

    return make


@pytest.fixture
def api(client):
    """api(method, path, token=None, body=None, **query) -> response; ``path`` relative to the API's root."""

    def call(method, path="", *, token=None, body=None, raw=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/json"} if data is not None else {}
        if method == "get":
            return client.get(API + path, extra.pop("query", None), **headers, **extra)
        return getattr(client, method)(API + path, data, **kwargs, **headers, **extra)

    return call
