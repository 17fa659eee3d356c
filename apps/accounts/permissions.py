"""The platform's default DRF permission: a tenant credential with an allowed role.

Views declare the roles they admit with ``allowed_roles`` (a set, or a dict from action or HTTP
method to a set). Without it, any role of the tenant may use the view. Because this is the
default permission class, an endpoint cannot forget tenant resolution.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authz import authorize
from .models import ApiKey, Membership
from .roles import ALL_ROLES


def roles_for(view, request) -> frozenset[str]:
    allowed = getattr(view, "allowed_roles", None)
    if allowed is None:
        return ALL_ROLES
    if isinstance(allowed, dict):
        action = getattr(view, "action", None)
        if action in allowed:
            return frozenset(allowed[action])
        key = "read" if request.method in SAFE_METHODS else "write"
        if key in allowed:
            return frozenset(allowed[key])
        return frozenset(allowed.get("*", ()))
    return frozenset(allowed)


class IsTenantMember(BasePermission):
    """Authenticated for exactly one tenant, in a role the view admits."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        credential = request.auth
        if not isinstance(credential, (ApiKey, Membership)):
            return False
        request.tenant = credential.tenant
        request.role = credential.role
        verb = "read" if request.method in SAFE_METHODS else "write"
        return authorize(credential, verb, tenant=credential.tenant, roles=roles_for(view, request))
