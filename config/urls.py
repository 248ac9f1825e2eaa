"""The site's URLs, composed here: the apps never import one another's views.

The ``articles`` namespace holds the article list (``articles.urls``) and the
annotated article page, which the annotations app serves; the two are composed
into one namespace so ``articles:article-detail`` keeps its name.
"""

from django.contrib import admin
from django.urls import include, path

import articles.urls
from accounts.ratelimits import rate_limited
from annotations.views.article import article_detail
from config.favicon import favicon
from config.health import healthz, readyz

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
    path("", include((articles_patterns, "articles"))),
]
