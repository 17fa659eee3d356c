"""Web pages of the knowledge layer (the API lives in knowledge.api.urls)."""

from django.urls import path

from . import views

app_name = "knowledge-web"

urlpatterns = [
    path("graphs/<uuid:graph_id>/neighbourhood/", views.neighbourhood, name="neighbourhood"),
]
