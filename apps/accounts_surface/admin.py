from django.contrib import admin, messages
from django.urls import path

from apps.accounts.models import ApiKey, Invitation, Membership, Quota, Tenant, UsageCounter
from apps.accounts.roles import Role
from apps.accounts.services import api_key_revoke, quota_limits_forget, tenant_set_active
from apps.surface.admin_base import ServiceWrittenAdmin, TenantScopedAdmin

from .onboarding_admin import tenant_onboard_view


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """Tenants themselves: staff see the tenant they act for; only superusers (platform staff)
    create, delete, activate or deactivate tenants (``tenant_set_active``, audited) and set
    ``four_eyes_promotions``."""

    tenant_field = "pk"  # the row is the tenant
    # Its object tools offer "Onboard a tenant" to platform staff (onboarding_admin.py).
    change_list_template = "admin/accounts/tenant/change_list.html"
    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    exclude = ["digest_salt"]

    def get_readonly_fields(self, request, obj=None):
        fields = ["id", "created_at"]
        # A tenant's own admin may neither reopen a deactivated tenant nor switch four eyes
        # off to promote alone: both belong to platform staff.
        return (
            fields if request.user.is_superuser else [*fields, "is_active", "four_eyes_promotions"]
        )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_urls(self):
        onboard = self.admin_site.admin_view(lambda request: tenant_onboard_view(self, request))
        return [path("onboard/", onboard, name="accounts_tenant_onboard"), *super().get_urls()]

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted  # saved by the service, with its audit event
            super().save_model(request, obj, form, change)
            tenant_set_active(tenant=obj, is_active=wanted, by=request.user)
            return
        super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    """Members and their roles. Tenant admins change roles and remove members (audited);
    adding someone is an invitation (the API's members endpoint), which the user accepts."""

    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "tenant__name"]
    allowed_roles = {Role.ADMIN}

    def get_readonly_fields(self, request, obj=None):
        return ["user", "tenant"] if obj is not None else []

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Invitation)
class InvitationAdmin(ServiceWrittenAdmin):
    list_display = ["user", "tenant", "role", "created_at", "expires_at", "accepted_at"]
    allowed_roles = {Role.ADMIN}

    def has_change_permission(self, request, obj=None):
        return False


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
