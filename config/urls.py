from django.contrib import admin
from django.urls import include, path

from accounts.ratelimits import rate_limited
from articles import views as article_views

urlpatterns = [
    path("healthz", article_views.healthz, name="healthz"),
    # the admin's login counts against the same limits as the site's
    path("admin/login/", rate_limited("login")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("annotations.urls")),
    path("", include("articles.urls")),
]
