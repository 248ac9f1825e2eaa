"""The articles app's own pages. ``config/urls.py`` composes the ``articles`` namespace from these and
the annotated article page, which the annotations app serves (``articles`` never imports it)."""

from django.urls import path

from articles import views

urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("articles/<slug:slug>/revisions/<int:number>/", views.article_revision, name="article-revision"),
]
