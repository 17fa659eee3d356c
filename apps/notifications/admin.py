"""The notification destinations and the delivery log (read-only: written by the services)."""

from __future__ import annotations

from django.contrib import admin

from apps.accounts.admin_base import ServiceWrittenAdmin
from apps.accounts.roles import Role

from .models import Delivery, Destination


@admin.register(Destination)
class DestinationAdmin(ServiceWrittenAdmin):
    allowed_roles = frozenset({Role.ADMIN, Role.AUDITOR})
    list_display = ["kind", "url", "emails", "topics", "tenant", "active"]

    def has_delete_permission(self, request, obj=None):
        # Destinations change through the API's audited service; the delivery log is evidence.
        return False


@admin.register(Delivery)
class DeliveryAdmin(ServiceWrittenAdmin):
    allowed_roles = frozenset({Role.ADMIN, Role.AUDITOR})
    list_display = ["topic", "subject", "state", "attempts", "tenant", "created_at"]
    list_filter = ["state", "topic"]

    def has_delete_permission(self, request, obj=None):
        # Destinations change through the API's audited service; the delivery log is evidence.
        return False
