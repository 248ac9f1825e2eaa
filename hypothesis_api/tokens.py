"""Grant tokens, access tokens and refresh tokens for the Hypothesis client (RFC 7523 and RFC 6749).

A signed-in reader's article page carries a **grant token**: a JWT (HS256, PyJWT) with ``iss`` this site's client
id, ``aud`` the authority, ``sub`` the reader's userid (``acct:<username>@<authority>``), ``nbf``/``exp`` a few
minutes apart (``HYPOTHESIS_GRANT_TOKEN_SECONDS``). Its key is derived from ``SECRET_KEY`` for this use alone. The
sidebar POSTs it to ``token`` (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``) and gets an opaque
**access token** (``HYPOTHESIS_ACCESS_TOKEN_SECONDS``) and **refresh token** (``grant_type=refresh_token``, which
rotates both). Tokens are random; only their SHA-256 is stored (``ClientToken``).

Queries: an exchange 3 (the user, the sweep of expired rows, the insert); a refresh 2 (the row, locked, with its
user; the update); an API call with an access token 1 (the token with its user).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from hypothesis_api.models import ClientToken

CLIENT_ID = "annotations-site"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_PREFIX = "hyp_a_"
REFRESH_PREFIX = "hyp_r_"
MAX_TOKEN_LENGTH = 200  # longer credentials are refused before any hashing or query
LEEWAY_SECONDS = 10  # clock skew allowed on nbf/exp


class TokenError(Exception):
    """A credential that cannot be used; ``error`` is the OAuth code, the message is for people."""

    def __init__(self, message: str, *, error: str = "invalid_grant", status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


def authority() -> str:
    return settings.HYPOTHESIS_AUTHORITY


def userid(user) -> str | None:
    """``acct:<username>@<authority>``: the form the client requires (None for nobody)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return f"acct:{user.get_username()}@{authority()}"


def username_of(value: str) -> str | None:
    """The username of a userid of this authority, else None."""
    if not isinstance(value, str) or not value.startswith("acct:"):
        return None
    name, at, domain = value[5:].rpartition("@")
    if not at or not name or domain != authority():
        return None
    return name


def _grant_key() -> str:
    return salted_hmac("hypothesis_api.tokens", "grant-token-key", algorithm="sha256").hexdigest()


def grant_token(user, *, now: dt.datetime | None = None) -> str | None:
    """A grant token for ``user`` (None for an anonymous reader: the client is then read-only)."""
    subject = userid(user)
    if subject is None:
        return None
    issued = int((now or timezone.now()).timestamp())
    claims = {
        "iss": CLIENT_ID,
        "aud": authority(),
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + settings.HYPOTHESIS_GRANT_TOKEN_SECONDS,
    }
    return jwt.encode(claims, _grant_key(), algorithm="HS256")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def _new_pair(row: ClientToken, now: dt.datetime) -> IssuedTokens:
    access, refresh = ACCESS_PREFIX + secrets.token_urlsafe(32), REFRESH_PREFIX + secrets.token_urlsafe(32)
    seconds = settings.HYPOTHESIS_ACCESS_TOKEN_SECONDS
    row.access_hash, row.refresh_hash = hash_token(access), hash_token(refresh)
    row.access_expires_at = now + dt.timedelta(seconds=seconds)
    row.refresh_expires_at = now + dt.timedelta(seconds=settings.HYPOTHESIS_REFRESH_TOKEN_SECONDS)
    return IssuedTokens(access_token=access, refresh_token=refresh, expires_in=seconds)


@transaction.atomic
def exchange_grant(*, assertion: str) -> IssuedTokens:
    """Access and refresh tokens for a valid grant token. TokenError (invalid_grant) otherwise; nothing written."""
    if not isinstance(assertion, str) or not assertion or len(assertion) > 4096:
        raise TokenError("Send the grant token as 'assertion'.", error="invalid_request")
    try:
        claims = jwt.decode(
            assertion,
            _grant_key(),
            algorithms=["HS256"],
            audience=authority(),
            issuer=CLIENT_ID,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "nbf", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The grant token has expired: reload the page to sign in to the sidebar again.") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("The grant token is not valid yet.") from None
    except jwt.InvalidTokenError:
        raise TokenError("The grant token is not valid.") from None
    if claims["exp"] - claims["nbf"] > settings.HYPOTHESIS_GRANT_TOKEN_SECONDS + LEEWAY_SECONDS:
        raise TokenError("The grant token lasts too long.")
    username = username_of(claims["sub"])
    user = get_user_model()._default_manager.filter(username=username, is_active=True).first() if username else None
    if user is None:
        raise TokenError("The grant token's user is unknown or disabled.")
    now = timezone.now()
    # the sweep: tokens whose refresh expired are of no use to anyone
    ClientToken.objects.filter(refresh_expires_at__lt=now).delete()
    row = ClientToken(user=user)
    issued = _new_pair(row, now)
    row.save()
    return issued


@transaction.atomic
def refresh(*, refresh_token: str) -> IssuedTokens:
    """New access and refresh tokens for a valid refresh token (the old pair stops working). TokenError."""
    if not isinstance(refresh_token, str) or not refresh_token.startswith(REFRESH_PREFIX):
        raise TokenError("Send a refresh token of this site as 'refresh_token'.", error="invalid_request")
    if len(refresh_token) > MAX_TOKEN_LENGTH:
        raise TokenError("The refresh token is not valid.")
    row = (
        ClientToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(refresh_hash=hash_token(refresh_token))
        .first()
    )
    now = timezone.now()
    if row is None or row.refresh_expires_at <= now or not row.user.is_active:
        raise TokenError("The refresh token is not valid or has expired: reload the page.")
    issued = _new_pair(row, now)
    row.refreshed_at = now
    row.save(update_fields=["access_hash", "refresh_hash", "access_expires_at", "refresh_expires_at", "refreshed_at"])
    return issued


def bearer_user(request: HttpRequest):
    """The user of the request's access token; None without ``Authorization``. TokenError (401) when unusable."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise TokenError("Use 'Authorization: Bearer <access token>'.", error="invalid_request", status=400)
    if not credential.startswith(ACCESS_PREFIX) or len(credential) > MAX_TOKEN_LENGTH or not credential.isascii():
        raise TokenError("This is not an access token of this site.", error="invalid_token", status=401)
    row = ClientToken.objects.select_related("user").filter(access_hash=hash_token(credential)).first()
    if row is None:
        raise TokenError("Unknown or replaced access token: reload the page.", error="invalid_token", status=401)
    if row.access_expires_at <= timezone.now():
        raise TokenError("The access token has expired: reload the page.", error="invalid_token", status=401)
    if not row.user.is_active:
        raise TokenError("This account is disabled.", error="invalid_token", status=401)
    return row.user
