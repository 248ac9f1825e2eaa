from django.urls import path

from annotations.views.article import article_detail

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("articles/<slug:slug>/", article_detail, name="article-detail"),
]
