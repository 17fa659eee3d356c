from django.contrib import admin

from apps.accounts.admin_tenant import admin_tenant
from apps.accounts.authz import is_platform_staff, role_in
from apps.surface.admin_base import TenantScopedAdmin

from .access import readable_kinds_q
from .models import Job


@admin.register(Job)
class JobAdmin(TenantScopedAdmin):
    list_display = ["kind", "tenant", "state", "progress_done", "progress_total", "created_at"]
    list_filter = ["state", "kind", "created_at"]
    search_fields = ["kind", "id", "request_id"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):  # jobs are started by the API, not by hand
        return False

    def get_queryset(self, request):
        # The same per-kind rule as the API (apps.jobs.access): an agent sees no audit jobs.
        queryset = super().get_queryset(request)
        if is_platform_staff(request.user):
            return queryset
        return queryset.filter(readable_kinds_q(role_in(request.user, admin_tenant(request))))
