"""The tenant-scoped Django admin. Every admin of tenant rows derives from TenantScopedAdmin.

The admin acts for one tenant at a time, like the API: the tenant chosen in the tenant switcher
(``apps.accounts.admin_tenant``), by default the first active tenant the user belongs to. A
staff user sees only that tenant's rows, and every permission (module, view, add, change,
delete, the actions, inlines, autocomplete and the history page, which Django routes through
these methods) asks ``apps.accounts.authz.authorize`` with the role held in the *object's*
tenant; superusers (platform staff) see everything. A deactivated tenant reaches nothing.

Every write made here is audited: Django calls ``log_addition``/``log_change``/``log_deletion(s)``
for each save and delete, inside the same transaction, and this base turns each into an audit
event naming the admin, the object and the changed fields. Actions are audited the same way.
Reads of ``sensitive`` models are audited. Another tenant's object answers 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.http import Http404

from apps.accounts.admin_tenant import admin_tenant
from apps.accounts.authz import authorize, is_platform_staff, readable_domains, role_in
from apps.accounts.roles import ALL_ROLES, Role
from apps.accounts.selectors import tenants_of
from apps.audit.services import audit_event_record
from apps.core.context import Actor
from apps.core.public_ids import public_id_of, user_public_id


def object_tenant(obj, tenant_field: str):
    """The tenant an admin row belongs to (following ``graph__tenant``-style paths)."""
    if obj is None:
        return None
    if tenant_field == "pk":  # the Tenant admin: the row is the tenant
        return obj
    value = obj
    for part in tenant_field.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def admin_actor(request, tenant) -> Actor:
    user = request.user
    return Actor(
        "user",
        id=user_public_id(user.pk),
        label=user.get_username(),
        tenant_id=getattr(tenant, "pk", None),
        role="superuser" if user.is_superuser else "",
    )


def request_role_memo(request) -> dict:
    """The roles this request has looked up (``authz.role_in``'s memo): one admin page asks for
    every registered model's permissions (the sidebar), each of which needs the user's role.
    Request-scoped, so a role changed by this request's own write counts from the next one."""
    return request.__dict__.setdefault("_tenant_role_memo", {})


class TenantAuthorizedAdminMixin:
    """The permission methods of TenantScopedAdmin, also used by inlines (whose ``obj`` is the
    parent row)."""

    tenant_field = "tenant"
    allowed_roles: frozenset[str] | set[str] = ALL_ROLES
    # Roles that may add, change and delete; the others get a read-only view.
    write_roles: frozenset[str] | set[str] = frozenset({Role.ADMIN})
    # For rows that carry a data domain (knowledge graphs): the path to it. The domain table
    # (apps.accounts.domains) then also decides who reads and writes each row.
    domain_field: str | None = None

    def tenants_for(self, request, roles=None):
        """The admin's current tenant, if the user holds one of ``roles`` there."""
        tenant = admin_tenant(request)
        roles = roles if roles is not None else self.allowed_roles
        return tenants_of(request.user, roles).filter(pk=getattr(tenant, "pk", None))

    def _tenant_of(self, obj):
        return object_tenant(obj, self.tenant_field)

    def _allowed(self, request, verb: str, obj=None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if is_platform_staff(user):
            return True
        current = admin_tenant(request)
        tenant = current if obj is None else self._tenant_of(obj)
        if tenant is None or current is None or tenant.pk != current.pk:
            return False  # one tenant at a time: a row of another tenant is never writable
        roles = set(self.allowed_roles)
        if verb != "view":
            roles &= set(self.write_roles)
        domain = object_tenant(obj, self.domain_field) if obj and self.domain_field else None
        return authorize(
            user, verb, tenant=tenant, roles=roles, domain=domain, memo=request_role_memo(request)
        )

    def _has_role(self, request, roles) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        if is_platform_staff(request.user):
            return True
        return authorize(
            request.user,
            "view",
            tenant=admin_tenant(request),
            roles=roles,
            memo=request_role_memo(request),
        )

    def has_module_permission(self, request):
        return self._allowed(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)


class TenantScopedAdmin(TenantAuthorizedAdminMixin, admin.ModelAdmin):
    sensitive = False

    # ------------------------------------------------------------------ scoping
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_platform_staff(request.user):
            return queryset
        queryset = queryset.filter(**{f"{self.tenant_field}__in": self.tenants_for(request)})
        if self.domain_field:
            role = role_in(request.user, admin_tenant(request))
            queryset = queryset.filter(**{f"{self.domain_field}__in": readable_domains(role)})
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.tenant_field and not is_platform_staff(request.user):
            kwargs["queryset"] = self.tenants_for(request, self.write_roles)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    # ------------------------------------------------------------------ 404
    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with a message; another tenant's id must look exactly
        # like an id that does not exist, and both are a plain 404.
        raise Http404(f"No {opts.verbose_name} with id {object_id!r}.")

    # ------------------------------------------------------------------ audit of writes
    def _audit(self, request, obj, verb: str, details: dict | None = None):
        tenant = self._tenant_of(obj)
        label = self.model._meta.label_lower
        audit_event_record(
            tenant=tenant,
            action=f"{label}.admin_{verb}"[:64],
            resource_type=label,
            resource_id=public_id_of(obj),
            details=details or {},
            actor=admin_actor(request, tenant),
        )

    @staticmethod
    def _changed_fields(message) -> list[str]:
        fields: list[str] = []
        for entry in message if isinstance(message, list) else []:
            for value in entry.values():
                fields.extend(str(f) for f in value.get("fields", ()))
        return sorted(set(fields))[:50]

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "add")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "change", {"fields": self._changed_fields(message)})
        return super().log_change(request, obj, message)

    def log_deletion(self, request, obj, object_repr):
        self._audit(request, obj, "delete")
        return super().log_deletion(request, obj, object_repr)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete")
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        # Each selected row's action is audited, in the same transaction as what it did; the
        # delete action is audited row by row through log_deletions.
        action = request.POST.get("action", "")
        if action and action != "delete_selected":
            with transaction.atomic():
                response = super().response_action(request, queryset)
                selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
                for obj in queryset.filter(pk__in=selected):
                    self._audit(request, obj, f"action.{action}")
            return response
        return super().response_action(request, queryset)

    # ------------------------------------------------------------------ audit of reads
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if self.sensitive and request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                self._audit(request, obj, "read")
        return response


class ServiceWrittenAdmin(TenantScopedAdmin):
    """Rows that only the services write (training jobs, decisions, structuring...): every
    field is read-only and nothing is added by hand, so the audit trail always matches what
    the database holds. Subclasses say whether rows may also be changed (to reach actions and
    inlines) or deleted."""

    extra_readonly: tuple = ()
    # False where only a service may delete: it also cleans up or audits what the row alone
    # does not (a document's chunks in retrieval, a connector's allow-list check).
    deletable: bool = True

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.extra_readonly)

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        return False
