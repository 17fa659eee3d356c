from django.contrib import admin, messages

from .admin_base import TenantScopedAdmin
from .models import ApiKey, Membership, Quota, Tenant, UsageCounter
from .roles import Role
from .services import api_key_revoke, quota_limits_forget


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """Tenants themselves: staff see the tenants they belong to; only superusers create them."""

    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["id", "created_at"]
    exclude = ["digest_salt"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=self.tenants_for(request))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "tenant__name"]
    allowed_roles = {Role.ADMIN}


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    """API keys are issued through the API (the secret is shown once there); here they are
    listed and revoked."""

    list_display = ["name", "prefix", "tenant", "role", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["role"]
    search_fields = ["name", "prefix"]
    allowed_roles = {Role.ADMIN}
    # Who looked at which credential is worth knowing after a leak.
    sensitive = True
    readonly_fields = [f.name for f in ApiKey._meta.fields]
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(Quota)
class QuotaAdmin(TenantScopedAdmin):
    list_display = ["tenant", "metric", "limit"]
    list_filter = ["metric"]
    allowed_roles = {Role.ADMIN}
    # A tenant's own admin may read its quotas but not raise them.
    write_roles = frozenset()

    # Every process must see a changed limit at once, not when its cached copy expires.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        quota_limits_forget(tenant_id=obj.tenant_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        quota_limits_forget(tenant_id=obj.tenant_id)

    def delete_queryset(self, request, queryset):
        tenant_ids = set(queryset.values_list("tenant_id", flat=True))
        super().delete_queryset(request, queryset)
        for tenant_id in tenant_ids:
            quota_limits_forget(tenant_id=tenant_id)


@admin.register(UsageCounter)
class UsageCounterAdmin(TenantScopedAdmin):
    list_display = ["tenant", "metric", "day", "value"]
    list_filter = ["metric", "day"]
    allowed_roles = {Role.ADMIN, Role.AUDITOR}
    write_roles = frozenset()
