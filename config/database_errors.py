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
instead of a traceback. The same errors raised outside a view (the session
saved by its middleware after the view, say) reach Django's 500 handler:
``server_error`` (``handler500`` in config/urls.py) answers them with the
same 503. Other database errors (``IntegrityError``, ``ProgrammingError``,
...) are bugs and stay 500s.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

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


def _log_unavailable(request, exception) -> None:
    logger.warning(
        "database unavailable for %s %s: %s: %s",
        request.method,
        request.path,
        type(exception).__name__,
        str(exception).strip().splitlines()[0] if str(exception).strip() else "",
    )


@requires_csrf_token
def server_error(request, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: the database being unreachable is a 503 wherever it was raised; anything else the
    static ``500.html`` (rendered without context processors, like Django's own handler)."""
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        _log_unavailable(request, exception)
        return database_unavailable_response()
    return HttpResponseServerError(loader.get_template(template_name).render())


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        _log_unavailable(request, exception)
        return database_unavailable_response()
