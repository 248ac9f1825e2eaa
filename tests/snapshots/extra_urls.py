"""The project's URLs plus one: proves tests/test_structure.py notices a new route."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_patterns

urlpatterns = [*project_patterns, path("extra/", lambda request: HttpResponse(), name="extra")]
