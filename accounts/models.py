"""Personal API tokens: how tools write through the W3C Web Annotation Protocol on someone's behalf.

Only a SHA-256 hash of each token is stored. A token is 32 random bytes
(``secrets.token_urlsafe``) behind the recognisable prefix ``anno_`` (so a
leaked one is easy to spot in logs and secret scanners): with that much
entropy a fast unsalted hash is safe, and it lets the token be looked up by
its hash in one indexed query. The token itself is shown once, when created.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.text import no_control_characters

TOKEN_PREFIX = "anno_"
# characters of the token kept in clear to tell tokens apart in lists ("anno_Xy3k…")
DISPLAY_LENGTH = len(TOKEN_PREFIX) + 6


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read (see your own pending and private annotations)"
        WRITE = "write", "Read and write (create, replace and delete your annotations)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, validators=[no_control_characters], help_text="What the token is for.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    display = models.CharField(max_length=DISPLAY_LENGTH, editable=False, help_text="The token's first characters.")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the account page: a user's tokens, newest first
            models.Index(fields=["user", "-created_at"], name="apitoken_user_idx"),
        ]
        # (the unique token_hash is the index every authenticated request looks up)

    def __str__(self) -> str:
        return f"{self.name} ({self.display}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE
