"""Absolute links in every export (JSON-LD, ClaimReview, Atom, Markdown): one base URL rule, one join."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest


def base_url_of(request_or_base_url: HttpRequest | str | None) -> str:
    """``"https://host"``: from a request (the scheme and host it came in on, the host checked against
    ALLOWED_HOSTS by ``get_host``), from a base URL string, or ``settings.SITE_URL`` for ``None``."""
    if request_or_base_url is None:
        return settings.SITE_URL.rstrip("/")
    if isinstance(request_or_base_url, str):
        return request_or_base_url.rstrip("/")
    request = request_or_base_url
    return f"{request.scheme}://{request.get_host()}"


def absolute(base_url: str, path: str) -> str:
    """``path`` (a site path, with or without its leading slash) under ``base_url``; absolute URLs unchanged."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


# an href holding a site path (the renderer's @mention links, ``/users/<name>/``), as nh3 writes attributes
_SITE_PATH_HREF = re.compile(r'href="/(?!/)')


def absolute_links(html: str, base_url: str) -> str:
    """``html`` (sanitised ``body_html``) with its links to site paths made absolute under ``base_url``: a
    feed reader or a Markdown file has no page to resolve ``/users/alice/`` against."""
    return _SITE_PATH_HREF.sub(lambda match: f'href="{base_url.rstrip("/")}/', html)
