"""The second factor for the admin: TOTP devices (django-otp), required for platform superusers
and for the staff of tenants that ask for it (``Tenant.require_staff_mfa``).

A session that logged in with a password alone reaches no admin page while its second factor is
required: every admin path but the login, logout and the verification page itself redirects to
the verification page, which accepts a token from one of the user's confirmed devices. Devices
are enrolled by a superuser in the admin (django-otp's TOTP device admin shows the QR code).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token

from .models import Membership

VERIFY_PATH = "/admin/mfa/verify/"
_OPEN_PATHS = ("/admin/login/", "/admin/logout/", VERIFY_PATH, "/admin/jsi18n/")


def mfa_required(user) -> bool:
    """Must ``user`` pass a second factor before the admin?"""
    if not (user.is_authenticated and user.is_staff):
        return False
    if user.is_superuser and settings.MFA_REQUIRED_FOR_SUPERUSERS:
        return True
    return Membership.objects.filter(
        user=user, tenant__is_active=True, tenant__require_staff_mfa=True
    ).exists()


class AdminSecondFactorMiddleware:
    """Admin paths redirect to the verification page until the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith("/admin/") and not path.startswith(_OPEN_PATHS):
            user = getattr(request, "user", None)
            if user is not None and mfa_required(user) and not user.is_verified():
                return HttpResponseRedirect(f"{VERIFY_PATH}?next={path}")
        return self.get_response(request)


class TokenForm(forms.Form):
    token = forms.CharField(max_length=16, label="Code from your authenticator app")


@login_required(login_url="/admin/login/")
def mfa_verify(request):
    """Enter a TOTP code; a match marks the session verified (django_otp.login)."""
    form = TokenForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            target = request.GET.get("next") or reverse("admin:index")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = reverse("admin:index")
            return HttpResponseRedirect(target)
        error = "That code is not valid for any of your devices."
    context = {**admin.site.each_context(request), "form": form, "error": error}
    context["title"] = "Second factor"
    return render(request, "accounts/mfa_verify.html", context, status=200 if not error else 400)
