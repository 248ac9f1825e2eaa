"""Rate limits on writes, per user (or IP when anonymous) and per IP.

Counts live in the default cache (Redis in production), so several app
servers count together. Rates come from ``settings.RATE_LIMITS``; accounts
younger than ``RATE_LIMIT_NEW_ACCOUNT_AGE`` get the stricter "new" rate,
trusted annotators and moderators the "trusted" one. Over the limit, the
view is not run and the client gets a 429 page with ``Retry-After``.

With the cache unreachable nothing can be counted. The actions in
``settings.RATE_LIMITS_FAIL_CLOSED`` (logging in, signing up, password
resets) then answer 503 "temporarily unavailable, try again in a minute"
without running the view; the others run uncounted (fail open). The cache
backend tells it is down through its ``unavailable`` attribute
(``config.cache.ResilientRedisCache``); a backend without one is never down.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

from accounts.roles import TRUSTED_ANNOTATORS


def client_ip(request) -> str:
    """The client's address behind one trusted proxy: the last X-Forwarded-For entry.

    The proxy appends the address it saw; earlier entries come from the
    client and could be forged to dodge per-IP limits.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")


def tier(user) -> str:
    if user is None or not user.is_authenticated:
        return "anonymous"
    if user.has_perm("annotations.moderate_annotation") or user.groups.filter(name=TRUSTED_ANNOTATORS).exists():
        return "trusted"
    age = timezone.now() - user.date_joined
    if age < dt.timedelta(seconds=getattr(settings, "RATE_LIMIT_NEW_ACCOUNT_AGE", 86400)):
        return "new"
    return "member"


def retry_after(request, action: str) -> int | None:
    """Count this request against ``action``'s limits; seconds to wait when over one.

    Raises ``CacheUnavailable`` for a fail-closed action when the counters cannot be reached.
    """
    rates = settings.RATE_LIMITS.get(action, {})
    checks = []
    who = tier(request.user)
    if rates.get(who):
        checks.append(("user_or_ip", rates[who]))
    if rates.get("ip"):
        checks.append(("ip", rates["ip"]))
    if rates.get("username"):
        checks.append(("post:username", rates["username"]))
    wait = None
    for key, rate in checks:
        usage = get_usage(request, group=f"{action}:{key}", key=key, rate=rate, method="POST", increment=True)
        if _counters_unavailable():
            if action in getattr(settings, "RATE_LIMITS_FAIL_CLOSED", ()):
                raise CacheUnavailable(action)
            return None  # fail open: this action runs uncounted while the cache is down
        if usage and usage["should_limit"]:
            wait = max(wait or 0, max(int(usage["time_left"]), 1))
    return wait


class CacheUnavailable(Exception):
    """The rate-limit counters cannot be read or written (the cache is down)."""


def _counters_unavailable() -> bool:
    backend = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    return bool(getattr(backend, "unavailable", False))


def temporarily_unavailable(request):
    response = render(
        request,
        "503.html",
        {"message": "Signing in and signing up are temporarily unavailable."},
        status=503,
    )
    response["Retry-After"] = "60"
    return response


def too_many_requests(request, seconds: int):
    response = render(
        request, "429.html", {"retry_after": seconds, "retry_minutes": max(1, round(seconds / 60))}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def rate_limited(action: str):
    """Decorate a view: its POSTs count against ``settings.RATE_LIMITS[action]``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                try:
                    seconds = retry_after(request, action)
                except CacheUnavailable:
                    return temporarily_unavailable(request)
                if seconds is not None:
                    return too_many_requests(request, seconds)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
