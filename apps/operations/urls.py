"""The operator console (staff only), linked from the admin index."""

from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.console, name="console"),
    path("data/", views.console_data, name="console-data"),
]
