"""The tokens the Hypothesis client holds: one row per exchanged grant, rotated on refresh.

Only hashes are stored (SHA-256 of tokens with 256 random bits: a lookup by hash needs no salt or slow hash), so a
copy of the database gives no usable token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ClientToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hypothesis_tokens")
    # unique: each API call finds its token by this hash (one index lookup)
    access_hash = models.CharField(max_length=64, unique=True)
    access_expires_at = models.DateTimeField()
    # unique: a refresh finds its row by this hash
    refresh_hash = models.CharField(max_length=64, unique=True)
    refresh_expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Hypothesis client token"
        verbose_name_plural = "Hypothesis client tokens"
        indexes = [
            # the sweep of expired rows at each exchange
            models.Index(fields=["refresh_expires_at"], name="hypothesis_token_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"Hypothesis client token #{self.pk} of user #{self.user_id}"
