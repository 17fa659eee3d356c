"""The tenant-scoped Django admin. Every admin of tenant rows derives from TenantScopedAdmin.

A staff user sees only rows of tenants where they hold a role the admin admits
(``allowed_roles``); superusers see everything. Permissions come from those memberships, not
from Django's per-model permissions, so giving someone a role is the whole of granting access.
Reads of ``sensitive`` models are audited. Another tenant's object answers 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404

from .roles import ALL_ROLES, Role
from .selectors import tenants_of


class TenantScopedAdmin(admin.ModelAdmin):
    tenant_field = "tenant"
    allowed_roles: frozenset[str] | set[str] = ALL_ROLES
    # Roles that may add, change and delete; the others get a read-only view.
    write_roles: frozenset[str] | set[str] = frozenset({Role.ADMIN})
    sensitive = False

    # ------------------------------------------------------------------ scoping
    def tenants_for(self, request, roles=None):
        return tenants_of(request.user, roles if roles is not None else self.allowed_roles)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.tenant_field}__in": self.tenants_for(request)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.tenant_field and not request.user.is_superuser:
            kwargs["queryset"] = self.tenants_for(request, self.write_roles)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # ------------------------------------------------------------------ permissions
    def _has_role(self, request, roles) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return request.user.is_superuser or self.tenants_for(request, roles).exists()

    def has_module_permission(self, request):
        return self._has_role(request, self.allowed_roles)

    def has_view_permission(self, request, obj=None):
        return self._has_role(request, self.allowed_roles)

    def has_add_permission(self, request):
        return self._has_role(request, set(self.write_roles) & set(self.allowed_roles))

    def has_change_permission(self, request, obj=None):
        return self._has_role(request, set(self.write_roles) & set(self.allowed_roles))

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, set(self.write_roles) & set(self.allowed_roles))

    # ------------------------------------------------------------------ 404 and audit
    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with a message; another tenant's id must look exactly
        # like an id that does not exist, and both are a plain 404.
        raise Http404(f"No {opts.verbose_name} with id {object_id!r}.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if self.sensitive and request.method == "GET" and response.status_code == 200:
            self._audit_read(request, object_id)
        return response

    def _audit_read(self, request, object_id):
        from apps.audit.services import audit_event_record
        from apps.core.context import Actor

        obj = self.get_object(request, object_id)
        tenant = getattr(obj, self.tenant_field, None) if obj is not None else None
        audit_event_record(
            tenant=tenant,
            action=f"{self.model._meta.label_lower}.admin_read",
            resource_type=self.model._meta.label_lower,
            resource_id=str(object_id),
            actor=Actor(
                "user",
                id=request.user.pk,
                label=request.user.get_username(),
                tenant_id=getattr(tenant, "pk", None),
            ),
        )


class ServiceWrittenAdmin(TenantScopedAdmin):
    """Rows that only the services write (training jobs, decisions, structuring...): every
    field is read-only and nothing is added by hand, so the audit trail always matches what
    the database holds. Subclasses say whether rows may also be changed (to reach actions and
    inlines) or deleted."""

    extra_readonly: tuple = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.extra_readonly)

    def has_add_permission(self, request):
        return False
