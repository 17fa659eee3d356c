"""The operator console (staff only), linked from the admin index."""

from django.urls import path

from . import alerts, views

app_name = "operations"

urlpatterns = [
    path("", views.console, name="console"),
    path("data/", views.console_data, name="console-data"),
    path("alerts/", alerts.alerts_page, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", alerts.alert_acknowledge_view, name="alert-ack"),
]
