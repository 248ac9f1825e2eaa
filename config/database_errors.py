"""The database restarting costs the requests in flight a clean 503 page, never a 500 traceback.

PostgreSQL restarting (or a failover, or the connection cut by an
administrator) makes the queries of the requests in flight raise
``OperationalError`` or ``InterfaceError``. Django closes a connection that
raised and, with ``CONN_HEALTH_CHECKS`` (config/settings.py), checks a
persistent connection before the first query of each request, so the worker
reconnects by itself on its next request; no restart of the app is needed.
Each request runs its writes in the services' ``transaction.atomic``, so a cut
connection rolls the whole write back.

``DatabaseUnavailableMiddleware`` turns those errors, raised by a view or
while rendering its template, into the standalone ``503.html`` (no base
template, no session, no query) with ``Retry-After``, and logs one line
instead of a traceback. Other database errors (``IntegrityError``,
``ProgrammingError``, ...) are bugs and stay 500s.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("config.database")

RETRY_AFTER_SECONDS = 30


def database_unavailable_response() -> HttpResponse:
    html = render_to_string(
        "503.html",
        {
            "SITE_NAME": settings.SITE_NAME,
            "message": "The site could not reach its database.",
        },
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning(
            "database unavailable for %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
        return database_unavailable_response()
