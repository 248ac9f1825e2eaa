"""``/favicon.ico``: browsers ask for it whatever the page's ``<link rel="icon">`` says.

The file is ``static/favicon.ico`` (the ¶ of ``static/favicon.svg`` as 16 and
32 pixel images), read once and answered with a week of caching.
"""

from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@cache
def _icon() -> bytes:
    return (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()


@require_safe
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    return HttpResponse(_icon(), content_type="image/x-icon")
