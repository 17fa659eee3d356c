"""The notification destinations and the delivery log (read-only: written by the services)."""

from __future__ import annotations

from django.contrib import admin

from apps.accounts.roles import Role
from apps.surface.admin_base import ServiceWrittenAdmin

from .models import Delivery, Destination


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
