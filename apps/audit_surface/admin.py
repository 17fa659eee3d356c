"""A read-only audit log in the admin, for auditors and administrators of each tenant.

Nobody, superusers included, may add, change or delete audit rows here: the log is append-only
(the models and, on PostgreSQL, a trigger refuse it anyway; the admin does not offer it).
"""

from django.contrib import admin

from apps.accounts.roles import Role
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.surface.admin_base import TenantScopedAdmin


class ReadOnlyAuditAdmin(TenantScopedAdmin):
    allowed_roles = frozenset({Role.AUDITOR, Role.ADMIN})
    write_roles = frozenset()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAuditAdmin):
    list_display = [
        "created_at",
        "tenant",
        "seq",
        "action",
        "outcome",
        "status_code",
        "actor_kind",
        "actor_label",
        "resource_type",
        "resource_id",
        "short_hash",
    ]
    list_filter = ["action", "outcome", "created_at"]
    search_fields = ["action", "resource_type", "resource_id", "request_id"]
    list_select_related = ["tenant"]
    show_full_result_count = False  # a count(*) over the whole log on every page is costly
    fieldsets = [
        (None, {"fields": ["id", "tenant", "created_at", "action", "outcome", "status_code"]}),
        ("Actor", {"fields": ["actor_kind", "actor_id", "actor_label", "actor_role"]}),
        ("Resource", {"fields": ["resource_type", "resource_id", "request_id", "latency_ms"]}),
        (
            "Model call or batch",
            {"fields": ["model_name", "model_revision", "input_digest", "row_count", "details"]},
        ),
        ("Hash chain", {"fields": ["chain", "seq", "prev_hash", "hash"]}),
    ]

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.hash[:12]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAuditAdmin):
    list_display = ["created_at", "chain", "tenant", "seq", "head_hash"]
    list_filter = ["created_at"]
    search_fields = ["chain", "head_hash"]
    list_select_related = ["tenant"]
