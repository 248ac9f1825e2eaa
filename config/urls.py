"""The site's URLs, composed here: the apps never import one another's views.

The ``articles`` namespace holds the article list (``articles.urls``) and the
annotated article page, which the annotations app serves (through
``hypothesis_api.views.article``, which adds the Hypothesis sidebar option and
its ``?client=hypothesis`` variant); the two are composed into one namespace so
``articles:article-detail`` keeps its name.
"""

from django.contrib import admin
from django.urls import include, path

import articles.urls
from accounts.ratelimits import rate_limited
from config.favicon import favicon
from config.health import healthz, readyz
from hypothesis_api.views.article import article_detail

# Any error that escapes a view: the database being unreachable is a 503 wherever it was raised
# (the session saved after the view, say), the rest the static 500.html.
handler500 = "config.database_errors.server_error"

articles_patterns = [
    *articles.urls.urlpatterns,
    path("articles/<slug:slug>/", article_detail, name="article-detail"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("readyz", readyz, name="readyz"),
    # the admin's login counts against the same limits as the site's
    path("admin/login/", rate_limited("login")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("annotations.urls")),
    # the Hypothesis client's sidebar page and h-compatible API (hypothesis_api)
    path("hypothesis/", include("hypothesis_api.urls")),
    path("", include((articles_patterns, "articles"))),
]
