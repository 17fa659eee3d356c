"""The URL configuration of the test that installs this vertical: the API of every installed
vertical, built from the declarations exactly as config/urls.py builds it."""

from django.urls import include, path

from apps.core import verticals

urlpatterns = [path("api/v1/", include(verticals.api_urlpatterns()))]
