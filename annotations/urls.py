from django.urls import path, re_path

from .views import annotate, reading

app_name = "annotations"

urlpatterns = [
    path("articles/<slug:slug>/p/<slug:key>/annotate/", annotate.annotation_create, name="annotation-create"),
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
