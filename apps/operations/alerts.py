"""The console's alerts page: the open alerts (and the latest acknowledged ones) of the tenants
the staff user belongs to, each with an Acknowledge button where the user may.

Which alerts a user sees follows the domain table (apps.accounts.domains), as in the API: in
each tenant, the alerts of the domains the user's role there reads; the button shows, and the
acknowledgement is accepted, only where the role writes the alert's domain. Superusers (platform
staff) see and acknowledge every tenant's alerts. Another tenant's alert, or one of a domain the
role does not read, is a 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.accounts.authz import authorize, is_platform_staff, readable_domains
from apps.accounts.models import Membership
from apps.notifications.alerts import AlertRefused, alert_acknowledge
from apps.notifications.models import Alert
from apps.surface.admin_base import admin_actor

ACKNOWLEDGED_SHOWN = 50


def visible_alerts(user):
    """The alerts ``user`` may read: every tenant's for platform staff; else, per membership
    of an active tenant, those of the domains its role reads."""
    alerts = Alert.objects.select_related("tenant").order_by("-last_seen")
    if is_platform_staff(user):
        return alerts
    allowed = Q(pk__in=[])
    for membership in Membership.objects.filter(user=user, tenant__is_active=True):
        allowed |= Q(tenant_id=membership.tenant_id, domain__in=readable_domains(membership.role))
    return alerts.filter(allowed)


def may_acknowledge(user, alert: Alert) -> bool:
    return authorize(user, "write", tenant=alert.tenant, domain=alert.domain)


def _rows(user, alerts) -> list[dict]:
    return [{"alert": a, "can_ack": may_acknowledge(user, a)} for a in alerts]


@never_cache
@staff_member_required
def alerts_page(request):
    alerts = visible_alerts(request.user)
    context = {
        **admin.site.each_context(request),
        "title": "Alerts",
        "open_rows": _rows(request.user, alerts.filter(acknowledged_at__isnull=True)),
        "acknowledged": list(alerts.filter(acknowledged_at__isnull=False)[:ACKNOWLEDGED_SHOWN]),
    }
    return render(request, "operations/alerts.html", context)


@require_POST
@staff_member_required
def alert_acknowledge_view(request, alert_id):
    alert = visible_alerts(request.user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    if not may_acknowledge(request.user, alert):
        raise PermissionDenied(f"Your role may not acknowledge {alert.domain} alerts.")
    try:
        alert_acknowledge(
            tenant=alert.tenant,
            alert=alert,
            user=request.user,
            actor=admin_actor(request, alert.tenant),
        )
    except AlertRefused as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, f"Acknowledged: {alert.title}")
    return HttpResponseRedirect(reverse("operations:alerts"))
