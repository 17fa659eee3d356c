"""The adaptation admin: training sets and adapter versions, read-only (rows are written by
the services, so the audit trail always matches them); admins, analysts and auditors read."""

from __future__ import annotations

from django.contrib import admin

from apps.accounts.roles import Role
from apps.surface.admin_base import TenantScopedAdmin

from .models import AdapterVersion, TrainingSet


class AdaptationAdmin(TenantScopedAdmin):
    allowed_roles = frozenset({Role.ADMIN, Role.ANALYST, Role.AUDITOR})
    write_roles = frozenset({Role.ADMIN, Role.ANALYST})
    hidden: tuple = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.hidden]

    def get_exclude(self, request, obj=None):
        return list(self.hidden)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TrainingSet)
class TrainingSetAdmin(AdaptationAdmin):
    list_display = ["name", "tenant", "pair_count", "duplicates_dropped", "created_at"]
    search_fields = ["name"]
    hidden = ("pairs",)


@admin.register(AdapterVersion)
class AdapterVersionAdmin(AdaptationAdmin):
    list_display = ["name", "version", "state", "base_model", "tenant", "created_at"]
    list_filter = ["state", "name"]
    hidden = ("weights", "validation_pairs")
