from django.contrib import admin

from apps.accounts.admin_base import TenantScopedAdmin

from .models import Job


@admin.register(Job)
class JobAdmin(TenantScopedAdmin):
    list_display = ["kind", "tenant", "state", "progress_done", "progress_total", "created_at"]
    list_filter = ["state", "kind", "created_at"]
    search_fields = ["kind", "id", "request_id"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):  # jobs are started by the API, not by hand
        return False
