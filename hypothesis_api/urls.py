"""Everything the Hypothesis client calls, under ``/hypothesis/`` (the API under ``/hypothesis/api/``)."""

from django.urls import path

from hypothesis_api.views import api, pages

app_name = "hypothesis_api"

urlpatterns = [
    path("app.html", pages.sidebar_app, name="sidebar-app"),
    path("notebook", pages.notebook_app, name="notebook-app"),
    path("user-profile", pages.profile_app, name="profile-app"),
    path("api/", api.index, name="index"),
    path("api/links", api.links, name="links"),
    path("api/token", api.token, name="token"),
    path("api/profile", api.profile, name="profile"),
    path("api/profile/groups", api.profile_groups, name="profile-groups"),
    path("api/groups", api.groups, name="groups"),
    path("api/groups/<str:group_id>", api.group_read, name="group"),
    path("api/groups/<str:group_id>/members", api.group_members, name="group-members"),
    path("api/groups/<str:group_id>/members/<str:member>", api.group_member_delete, name="group-member"),
    path("api/search", api.search, name="search"),
    path("api/annotations", api.annotation_create, name="annotation-create"),
    path("api/annotations/<int:pk>", api.annotation_detail, name="annotation"),
    path("api/annotations/<int:pk>/flag", api.annotation_flag, name="annotation-flag"),
    path("api/annotations/<int:pk>/hide", api.annotation_hide, name="annotation-hide"),
    path("api/annotations/<int:pk>/moderation", api.annotation_moderate, name="annotation-moderate"),
    path("api/analytics/events", api.analytics_events, name="analytics-events"),
]
