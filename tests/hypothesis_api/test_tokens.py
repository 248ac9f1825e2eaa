"""Grant tokens (JWT, RFC 7523) exchanged for access and refresh tokens; bad ones refused, nothing written."""

import datetime as dt

import jwt
import pytest
from django.test import override_settings
from django.utils import timezone

from hypothesis_api import tokens
from hypothesis_api.models import ClientToken

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _exchange(client, **data):
    return client.post("/hypothesis/api/token", data)


def test_a_grant_token_is_exchanged_for_an_access_and_a_refresh_token(client, author, django_assert_num_queries):
    grant = tokens.grant_token(author)
    claims = jwt.decode(grant, options={"verify_signature": False})
    assert claims["sub"] == f"acct:author@{tokens.authority()}"
    assert claims["exp"] - claims["nbf"] == 600
    # the user; the sweep of expired rows; the insert; and the savepoint and its release (the exchange's
    # transaction inside the test's)
    with django_assert_num_queries(5):
        response = _exchange(client, grant_type=JWT_BEARER, assertion=grant)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("hyp_a_") and body["refresh_token"].startswith("hyp_r_")
    row = ClientToken.objects.get()
    # only hashes are stored
    assert body["access_token"] not in (row.access_hash, row.refresh_hash)
    assert row.access_hash == tokens.hash_token(body["access_token"])
    profile = client.get("/hypothesis/api/profile", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert profile.json()["userid"] == f"acct:author@{tokens.authority()}"


def _forged(user):
    now = int(timezone.now().timestamp())
    claims = {
        "iss": tokens.CLIENT_ID,
        "aud": tokens.authority(),
        "sub": tokens.userid(user),
        "nbf": now,
        "exp": now + 60,
    }
    return jwt.encode(claims, "not-our-key-but-one-as-long-as-ours-0123456789", algorithm="HS256")


def _with_claims(**changes):
    now = int(timezone.now().timestamp())
    claims = {"iss": tokens.CLIENT_ID, "aud": tokens.authority(), "sub": "acct:author@x", "nbf": now, "exp": now + 60}
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, tokens._grant_key(), algorithm="HS256")


@pytest.mark.parametrize(
    "make_assertion, reason",
    [
        (lambda user: _forged(user), "not valid"),
        (lambda user: tokens.grant_token(user, now=timezone.now() - dt.timedelta(minutes=11)), "expired"),
        (lambda user: _with_claims(sub=tokens.userid(user), aud="elsewhere.example"), "not valid"),
        (lambda user: _with_claims(sub=tokens.userid(user), iss="someone-else"), "not valid"),
        (lambda user: _with_claims(sub=tokens.userid(user), exp=None), "not valid"),
        (lambda user: _with_claims(sub="acct:nobody@" + tokens.authority()), "unknown"),
        (lambda user: _with_claims(sub="acct:author@elsewhere.example"), "unknown"),
        # a week-long grant made with the key (say, leaked code) is still refused
        (
            lambda user: _with_claims(sub=tokens.userid(user), exp=int(timezone.now().timestamp()) + 7 * 86400),
            "too long",
        ),
        (lambda user: "not.a.jwt", "not valid"),
        (lambda user: tokens.grant_token(user) + "x", "not valid"),
    ],
)
def test_a_forged_or_stale_grant_is_refused_and_nothing_written(client, author, make_assertion, reason):
    response = _exchange(client, grant_type=JWT_BEARER, assertion=make_assertion(author))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failure" and body["error"] == "invalid_grant"
    assert reason in body["reason"]
    assert ClientToken.objects.count() == 0


def test_a_disabled_account_gets_no_token(client, author):
    grant = tokens.grant_token(author)
    author.is_active = False
    author.save()
    response = _exchange(client, grant_type=JWT_BEARER, assertion=grant)
    assert response.status_code == 400 and ClientToken.objects.count() == 0


def test_other_grant_types_and_methods_are_refused(client, db):
    assert _exchange(client, grant_type="password", username="a", password="b").json()["error"] == (
        "unsupported_grant_type"
    )
    assert _exchange(client, grant_type=JWT_BEARER).json()["error"] == "invalid_request"
    assert client.get("/hypothesis/api/token").status_code == 405


def test_a_refresh_rotates_both_tokens(client, author, django_assert_num_queries):
    first = tokens.exchange_grant(assertion=tokens.grant_token(author))
    # the row, locked, with its user; the update; the savepoint and its release
    with django_assert_num_queries(4):
        response = _exchange(client, grant_type="refresh_token", refresh_token=first.refresh_token)
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first.access_token and second["refresh_token"] != first.refresh_token
    # the old pair stops working
    again = _exchange(client, grant_type="refresh_token", refresh_token=first.refresh_token)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    old = client.get("/hypothesis/api/profile", HTTP_AUTHORIZATION=f"Bearer {first.access_token}")
    assert old.status_code == 401
    new = client.get("/hypothesis/api/profile", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}")
    assert new.json()["userid"] == tokens.userid(author)


def test_an_expired_access_token_is_refused(client, author):
    issued = tokens.exchange_grant(assertion=tokens.grant_token(author))
    ClientToken.objects.update(access_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/hypothesis/api/profile", HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    assert response.status_code == 401
    assert response.json() == {"status": "failure", "reason": "The access token has expired: reload the page."}
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_expired_refresh_token_is_refused_and_swept(client, author, make_user):
    issued = tokens.exchange_grant(assertion=tokens.grant_token(author))
    ClientToken.objects.update(refresh_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _exchange(client, grant_type="refresh_token", refresh_token=issued.refresh_token)
    assert response.status_code == 400
    tokens.exchange_grant(assertion=tokens.grant_token(make_user("someone")))
    assert list(ClientToken.objects.values_list("user__username", flat=True)) == ["someone"]


@override_settings(HYPOTHESIS_ACCESS_TOKEN_SECONDS=120)
def test_lifetimes_come_from_the_settings(author):
    assert tokens.exchange_grant(assertion=tokens.grant_token(author)).expires_in == 120


def test_an_anonymous_reader_gets_no_grant_token(rf):
    from django.contrib.auth.models import AnonymousUser

    assert tokens.grant_token(AnonymousUser()) is None
