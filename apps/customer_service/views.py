"""The chat web page (``/customer-service/chat/``): a logged-in admin or agent talks to the
assistant of their tenant. Plain JavaScript served from our static files (no CDN); the reply
streams over server-sent events from the REST API, with the session and ``X-Tenant``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from apps.accounts.roles import Role
from apps.accounts.selectors import tenants_of

CHAT_ROLES = {Role.ADMIN, Role.AGENT}


@login_required
@ensure_csrf_cookie
def chat(request):
    tenants = tenants_of(request.user, CHAT_ROLES).order_by("slug")
    wanted = request.GET.get("tenant")
    tenant = tenants.filter(slug=wanted).first() if wanted else tenants.first()
    if tenant is None:  # no customer-service role anywhere, or another tenant named
        raise Http404("No customer-service tenant of yours.")
    return render(
        request,
        "customer_service/chat.html",
        {
            "tenant": tenant,
            "tenants": tenants,
            "api_url": "/api/v1/customer-service/",
        },
    )
