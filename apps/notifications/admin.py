"""The notification destinations, the delivery log and the alerts (read-only: written by the
services; alerts are acknowledged in the operator console or the API)."""

from __future__ import annotations

from django.contrib import admin

from apps.accounts.roles import ALL_ROLES, Role
from apps.surface.admin_base import ServiceWrittenAdmin

from .models import Alert, Delivery, Destination


@admin.register(Destination)
class DestinationAdmin(ServiceWrittenAdmin):
    allowed_roles = frozenset({Role.ADMIN, Role.AUDITOR})
    deletable = False
    list_display = ["kind", "url", "emails", "topics", "tenant", "active"]


@admin.register(Delivery)
class DeliveryAdmin(ServiceWrittenAdmin):
    allowed_roles = frozenset({Role.ADMIN, Role.AUDITOR})
    deletable = False
    list_display = ["topic", "subject", "state", "attempts", "tenant", "created_at"]
    list_filter = ["state", "topic"]


@admin.register(Alert)
class AlertAdmin(ServiceWrittenAdmin):
    # Every role opens the list; the domain table decides which alerts it holds.
    allowed_roles = ALL_ROLES
    domain_field = "domain"
    deletable = False
    list_display = [
        "severity",
        "title",
        "source",
        "count",
        "last_seen",
        "acknowledged_at",
        "tenant",
    ]
    list_filter = ["severity", "source", "domain"]
