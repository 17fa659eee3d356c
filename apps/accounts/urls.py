"""Session pages of accounts (outside the tenant API): invitations."""

from django.urls import path

from . import views

app_name = "accounts-web"

urlpatterns = [
    path("invitations/", views.invitation_list, name="invitations"),
    path(
        "invitations/<uuid:invitation_id>/accept/",
        views.invitation_accept_view,
        name="invitation-accept",
    ),
]
