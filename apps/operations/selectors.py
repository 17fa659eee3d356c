"""The console's one read: everything the page shows, as JSON-ready data, scoped to what the
operator may see. Infrastructure (services, workers, queues) is platform-wide and carries no
tenant data; rows that belong to tenants (metrics from their audit events, jobs, failures,
drift alerts, handoffs, verifications) are limited to the operator's tenants unless they are a
superuser."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.accounts.roles import Role
from apps.accounts.selectors import tenants_of

from .activity import jobs_in_flight, recent_failures, throughput_last_hour
from .health import services_health
from .panels import audit_verification_last, vertical_panel

OPERATOR_ROLES = {Role.ADMIN}


def operator_tenants(user):
    """None (every tenant) for a superuser; else the tenants where the staff user is an admin.
    Anyone else is refused: the console is for operators."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied("The operator console is for staff.")
    if user.is_superuser:
        return None
    tenants = list(tenants_of(user, OPERATOR_ROLES))
    if not tenants:
        raise PermissionDenied("The operator console needs the admin role in a tenant.")
    return tenants


def console_snapshot(*, tenants) -> dict:
    """What the console shows now (``tenants`` None: every tenant)."""
    now = timezone.now()
    return {
        "generated_at": now.isoformat(),
        "scope": "all tenants" if tenants is None else ", ".join(t.slug for t in tenants),
        "services": services_health(),
        "throughput": throughput_last_hour(tenants=tenants, now=now),
        "jobs": jobs_in_flight(tenants=tenants),
        "failures": recent_failures(tenants=tenants, now=now),
        "drift_alerts": vertical_panel("drift_alerts", tenants=tenants),
        "handoffs": vertical_panel("handoffs", tenants=tenants),
        "audit": audit_verification_last(tenants=tenants),
    }
