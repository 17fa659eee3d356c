"""The operator console: one admin page and the JSON it refreshes from.

The page embeds the first snapshot with ``json_script`` (it draws without a second request)
and its script re-reads ``data/`` every ``REFRESH_S`` seconds. No inline script: the content
security policy admits only script files from our own origin.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .alerts import visible_alerts
from .selectors import console_snapshot, operator_tenants

REFRESH_S = 15


@never_cache
@staff_member_required
def console(request):
    tenants = operator_tenants(request.user)
    context = {
        **admin.site.each_context(request),
        "title": "Operator console",
        "snapshot": console_snapshot(tenants=tenants),
        "refresh_s": REFRESH_S,
        "alerts_open": visible_alerts(request.user).filter(acknowledged_at__isnull=True).count(),
    }
    return render(request, "operations/console.html", context)


@never_cache
@staff_member_required
def console_data(request):
    return JsonResponse(console_snapshot(tenants=operator_tenants(request.user)))
