"""The article page with the Hypothesis client (``/articles/<slug>/?client=hypothesis``), and the option on every
article page that leads there.

The variant is the article page (``annotations.views.article``) in its clean view (the sidebar shows the
annotations; the site's cards would repeat them and add their quotes to the text the client searches), with the
client's configuration (a grant token for a signed-in reader, ``null`` otherwise) and its scripts. Its CSP adds
what the client needs, on this response only; it is never shared through the anonymous page cache (it holds the
client's settings, and its address differs from the plain page's only by its query).
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import reverse
from django.views.decorators.http import require_safe

from annotations.views import article as article_views
from hypothesis_api import client
from hypothesis_api.script_json import script_json

CLIENT_PARAM = ("client", "hypothesis")
# What the client needs beyond the site's policy (checked by driving it in Chromium, tests/browser): its sidebar
# is a frame of this origin (our /hypothesis/app.html).
CLIENT_CSP = {"frame-src": ["'self'"]}


@require_safe
def article_detail(request, slug: str):
    if request.GET.get(CLIENT_PARAM[0]) == CLIENT_PARAM[1] and client.installed():
        return _with_client(request, slug)
    option = {"installed": client.installed(), "active": False}
    return article_views.article_detail(request, slug, extra_context={"hypothesis": option})


@csp_update(CLIENT_CSP)
def _with_client(request, slug: str):
    query = request.GET.copy()
    del query[CLIENT_PARAM[0]]
    query.setdefault("view", "clean")
    request.GET = query
    option = {
        "installed": True,
        "active": True,
        "config_json": script_json(
            client.host_config(request, article_path=reverse("articles:article-detail", kwargs={"slug": slug}))
        ),
        "boot_url": client.boot_url(request),
    }
    response = article_views.article_detail(request, slug, extra_context={"hypothesis": option})
    if hasattr(response, "anonymous_page"):
        del response.anonymous_page  # never into the page cache
    # a signed-in reader's page holds their grant token
    response["Cache-Control"] = "private, no-store"
    return response
