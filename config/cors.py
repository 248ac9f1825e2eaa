"""CORS for the W3C annotation endpoints: anyone may read them cross-origin, only configured origins write.

django-cors-headers has one origin list per request and no notion of reads and writes, so this subclass
adds the split through its own extension point (``check_signal``, which the library consults both to
enable CORS on a request and to allow an origin not in ``CORS_ALLOWED_ORIGINS``): a request to an API path
(``CORS_URLS_REGEX``) that only reads (GET, HEAD, or a preflight asking for one of them) is allowed from any
origin; a write (POST, PUT, DELETE and their preflights) only from ``CORS_ALLOWED_ORIGINS``
(``ANNOTATIONS_CORS_WRITE_ORIGINS``). Credentials (cookies) are never allowed cross-origin, so a
cross-origin write needs a personal API token; the views also refuse a write whose ``Origin`` is not
allowed (``annotations.views.protocol``), so a client that ignores CORS gains nothing. Pages other than
the API paths never get CORS headers.
"""

from __future__ import annotations

import re

from corsheaders.conf import conf
from corsheaders.middleware import CorsMiddleware
from django.http import HttpRequest

READ_METHODS = ("GET", "HEAD")


def is_api_read(request: HttpRequest) -> bool:
    if not re.match(conf.CORS_URLS_REGEX, request.path_info):
        return False
    if request.method in READ_METHODS:
        return True
    requested = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.method == "OPTIONS" and (requested in READ_METHODS or not requested)


class AnnotationApiCorsMiddleware(CorsMiddleware):
    def check_signal(self, request: HttpRequest) -> bool:
        return is_api_read(request) or super().check_signal(request)
