"""Shared fixtures of the security tests: more personas, and rate limits off for many writes.

The annotation factories (``make_annotation``, ``counts``, ``set_text``) come from
``tests/conftest.py``; the HTML safety scanner is ``tests/security/html_safety.py``.
"""

import pytest


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["trusted annotators"])


@pytest.fixture
def plain_staff(make_user):
    """Staff with no permission at all (can open the admin, nothing in it)."""
    return make_user("plainstaff", staff=True)


@pytest.fixture
def no_rate_limits(settings):
    """Many writes in one test: rate limits are tested elsewhere (tests/accounts)."""
    settings.RATELIMIT_ENABLE = False
