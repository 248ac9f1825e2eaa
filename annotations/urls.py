from django.urls import path, re_path
from django.views.decorators.http import require_safe

from annotations.exports import feeds
from annotations.views import annotate, exports, reading, w3c

app_name = "annotations"

urlpatterns = [
    path("articles/<slug:slug>/feed/", require_safe(feeds.ArticleAnnotationsFeed()), name="article-feed"),
    path("articles/<slug:slug>/export.md", exports.article_markdown, name="article-markdown"),
    path("fact-checks/feed/", require_safe(feeds.FactCheckFeed()), name="fact-check-feed"),
    path("articles/<slug:slug>/p/<slug:key>/annotate/", annotate.annotation_create, name="annotation-create"),
    path("annotations/<int:pk>.jsonld", w3c.annotation_jsonld, name="annotation-jsonld"),
    path(
        "articles/<slug:slug>/annotations/", w3c.article_annotations_collection, name="article-annotations-collection"
    ),
    path("annotations/<int:pk>/", reading.annotation_detail, name="annotation-detail"),
    path("annotations/<int:pk>/edit/", annotate.annotation_edit, name="annotation-edit"),
    path("annotations/<int:pk>/delete/", annotate.annotation_delete, name="annotation-delete"),
    path("annotations/<int:pk>/flag/", annotate.annotation_flag, name="annotation-flag"),
    path("accounts/annotations/", annotate.my_annotations, name="annotation-mine"),
    path("tags/", reading.tag_index, name="tag-index"),
    # tag slugs may be Unicode (taggit keeps "翻译" as is)
    re_path(r"^tags/(?P<slug>[-\w]+)/$", reading.tag_detail, name="tag-detail"),
    path("users/<str:username>/", reading.author_detail, name="author-detail"),
    path("search/", reading.search_view, name="search"),
]
