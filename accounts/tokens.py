"""Personal API tokens: creating, revoking, and ``Authorization: Bearer`` authentication.

Authentication here is a helper the protocol views call, not a middleware:
no other page pays for it. ``authenticate_bearer`` costs one query (the token
with its user, by the token's hash) and, at most once a minute per token, an
UPDATE of ``last_used_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import DISPLAY_LENGTH, TOKEN_PREFIX, ApiToken, hash_token, new_token

MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token (a busy script must not write on every request)
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
# the longest a token can be: longer Authorization values are refused before any hashing or query
MAX_TOKEN_LENGTH = 100


class TokenError(Exception):
    """A Bearer credential that cannot be used; ``error`` is the RFC 6750 code, the message is for people."""

    def __init__(self, message: str, *, error: str = "invalid_token", status: int = 401) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class Bearer:
    """Who a request with a valid token acts for."""

    token: ApiToken

    @property
    def user(self):
        return self.token.user

    @property
    def can_write(self) -> bool:
        return self.token.can_write


@transaction.atomic
def create_token(*, user, name: str, scope: str = ApiToken.Scope.WRITE, expires_at=None) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token itself (shown once, never stored). ValidationError."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Log in to create API tokens.")
    if ApiToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError({"name": [f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["Choose an expiry date in the future."]})
    secret = new_token()
    token = ApiToken(
        user=user,
        name=name.strip(),
        scope=scope,
        expires_at=expires_at,
        token_hash=hash_token(secret),
        display=secret[:DISPLAY_LENGTH],
    )
    token.full_clean()
    token.save()
    return token, secret


def can_revoke(actor, token: ApiToken) -> bool:
    """The token's owner, or an editor (``accounts.change_apitoken``) from the admin."""
    if actor is None or not actor.is_authenticated:
        return False
    return token.user_id == actor.pk or actor.has_perm("accounts.change_apitoken")


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> ApiToken:
    """Revoke ``token`` (idempotent: a revoked token keeps its first revocation). PermissionDenied."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not can_revoke(actor, token):
        raise PermissionDenied("Only the token's owner or an editor can revoke it.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def bearer_credential(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; None without the header. TokenError when malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise TokenError("Use 'Authorization: Bearer <token>' with a personal API token.", error="invalid_request")
    credential = credential.strip()
    if not credential.startswith(TOKEN_PREFIX) or len(credential) > MAX_TOKEN_LENGTH or not credential.isascii():
        raise TokenError("This is not an API token of this site (they start with 'anno_').")
    return credential


def authenticate_bearer(request: HttpRequest) -> Bearer | None:
    """The token the request carries, checked; None when it carries none. TokenError when it cannot be used."""
    credential = bearer_credential(request)
    if credential is None:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(credential)).first()
    if token is None:
        raise TokenError("Unknown API token.")
    if token.revoked_at is not None:
        raise TokenError("This API token has been revoked.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError("This API token has expired.")
    if not token.user.is_active:
        raise TokenError("The account of this API token is disabled.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return Bearer(token)
