"""The pages the client loads in frames of the article page: the sidebar app (``sidebarAppUrl``), and the notebook
and profile apps, which this site does not offer (they are only opened from the sidebar's menus).

They are framed by our own article page, so they allow being framed by this origin (``frame-ancestors 'self'``,
``X-Frame-Options: SAMEORIGIN``) where every other page refuses any frame.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from hypothesis_api import client
from hypothesis_api.script_json import script_json

FRAMED_BY_SELF = {"frame-ancestors": ["'self'"]}


@require_safe
@xframe_options_sameorigin
@csp_replace(FRAMED_BY_SELF)
def sidebar_app(request):
    """h's app.html: ``<hypothesis-app>``, the sidebar's configuration, the boot script."""
    context = {
        "sidebar_config_json": script_json(client.sidebar_config(request)),
        "installed": client.installed(),
        "boot_url": client.boot_url(request) if client.installed() else "",
    }
    return render(request, "hypothesis_api/app.html", context)


def _unavailable(request, title: str):
    message = "This site keeps its annotations on its own pages: use the sidebar on an article, or the article's page."
    return render(request, "hypothesis_api/unavailable.html", {"title": title, "message": message}, status=404)


@require_safe
@xframe_options_sameorigin
@csp_replace(FRAMED_BY_SELF)
def notebook_app(request):
    return _unavailable(request, "No notebook here")


@require_safe
@xframe_options_sameorigin
@csp_replace(FRAMED_BY_SELF)
def profile_app(request):
    return _unavailable(request, "No profile page here")
