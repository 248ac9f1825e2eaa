from django.urls import path, re_path
from django.views.decorators.http import require_safe

from annotations.exports import feeds
from annotations.views import annotate, exports, paragraph, protocol, reading, replies, verdicts, w3c
from annotations.views import compare as alignment_views

app_name = "annotations"

urlpatterns = [
    path("articles/<slug:slug>/feed/", require_safe(feeds.ArticleAnnotationsFeed()), name="article-feed"),
    path("articles/<slug:slug>/export.md", exports.article_markdown, name="article-markdown"),
    # the copy's paragraphs linked to its original's (issue 19): a W3C AnnotationCollection of its own
    path("articles/<slug:slug>/alignment/", alignment_views.article_alignment, name="article-alignment"),
    path("fact-checks/feed/", require_safe(feeds.FactCheckFeed()), name="fact-check-feed"),
    path("articles/<slug:slug>/p/<slug:key>/", paragraph.paragraph_detail, name="paragraph-detail"),
    path("articles/<slug:slug>/p/<slug:key>/annotate/", annotate.annotation_create, name="annotation-create"),
    path("annotations/<int:pk>.jsonld", w3c.annotation_jsonld, name="annotation-jsonld"),
    # the W3C Web Annotation Protocol: each article's container (its AnnotationCollection) and annotations in it
    path("articles/<slug:slug>/annotations/", protocol.container, name="article-annotations-collection"),
    path("articles/<slug:slug>/annotations/<int:pk>", protocol.annotation_resource, name="article-annotation"),
    path("annotations/<int:pk>/", reading.annotation_detail, name="annotation-detail"),
    path("annotations/<int:pk>/reply/", replies.reply_create, name="annotation-reply"),
    path("annotations/<int:pk>/edit/", annotate.annotation_edit, name="annotation-edit"),
    path("annotations/<int:pk>/delete/", annotate.annotation_delete, name="annotation-delete"),
    path("annotations/<int:pk>/flag/", annotate.annotation_flag, name="annotation-flag"),
    path("accounts/annotations/", annotate.my_annotations, name="annotation-mine"),
    path("tags/", reading.tag_index, name="tag-index"),
    # tag slugs may be Unicode (taggit keeps "翻译" as is)
    re_path(r"^tags/(?P<slug>[-\w]+)/$", reading.tag_detail, name="tag-detail"),
    path("users/<str:username>/", reading.author_detail, name="author-detail"),
    path("search/", reading.search_view, name="search"),
    # the verdict scale; its fragments (/verdicts/#false) are the verdicts' IRIs in the W3C protocol
    path("verdicts/", verdicts.verdict_scale, name="verdict-scale"),
]
