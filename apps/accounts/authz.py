"""The one authorization question, asked by the API, the admin and the knowledge layer:

    may this principal, with its role in this tenant, do this verb (on data of this domain)?

A principal is a tenant credential (an ``ApiKey`` or the ``Membership`` a session acts through)
or a Django user (the admin, the web pages). A role is held per tenant, so the role that counts
is always the one held in the *object's* tenant, never one held elsewhere. A deactivated tenant
answers no to everyone but platform staff (superusers), who manage tenants.
"""

from __future__ import annotations

from collections.abc import Iterable

from .domains import READ, WRITE, domain_roles, domains
from .models import ApiKey, Membership, Tenant

# Django's admin verbs and the API's, reduced to the two that roles and domains distinguish.
VERBS = {
    "read": READ,
    "view": READ,
    "write": WRITE,
    "add": WRITE,
    "change": WRITE,
    "delete": WRITE,
}


def is_credential(principal) -> bool:
    return isinstance(principal, (ApiKey, Membership))


def is_platform_staff(principal) -> bool:
    """Superusers: the platform's own operators (not a tenant role)."""
    return (
        not is_credential(principal)
        and bool(getattr(principal, "is_active", False))
        and bool(getattr(principal, "is_superuser", False))
    )


def role_in(principal, tenant: Tenant | None, memo: dict | None = None) -> str | None:
    """The role ``principal`` holds in ``tenant`` (None: no role there, or tenant inactive).

    ``memo``: a dict owned by one request (the admin's), so that the dozens of permission
    questions one admin page asks (every model's module, view, add, change and delete for the
    sidebar) cost one membership query, not one each."""
    if tenant is None or not tenant.is_active:
        return None
    if is_credential(principal):
        return principal.role if principal.tenant_id == tenant.pk else None
    if not getattr(principal, "is_authenticated", False) or getattr(principal, "pk", None) is None:
        return None
    if not principal.is_active:
        return None
    key = (principal.pk, tenant.pk)
    if memo is not None and key in memo:
        return memo[key]
    role = (
        Membership.objects.filter(user_id=principal.pk, tenant_id=tenant.pk)
        .values_list("role", flat=True)
        .first()
    )
    if memo is not None:
        memo[key] = role
    return role


def authorize(
    principal,
    verb: str,
    *,
    tenant: Tenant | None,
    roles: Iterable[str] | None = None,
    domain: str | None = None,
    memo: dict | None = None,
) -> bool:
    """True when ``principal`` may ``verb`` in ``tenant``.

    ``roles``: the roles the surface admits (a view's ``allowed_roles``, an admin's write roles);
    ``domain``: the data's domain, whose table (``apps.accounts.domains``) must also allow the
    role for the verb; ``memo``: see ``role_in``.
    """
    kind = VERBS[verb]
    if is_platform_staff(principal):
        return True
    role = role_in(principal, tenant, memo)
    if role is None:
        return False
    if roles is not None and role not in set(roles):
        return False
    if domain is not None and role not in domain_roles(domain, kind):
        return False
    return True


def readable_domains(role: str | None) -> list[str]:
    """The domains whose data ``role`` may read (for filtering lists)."""
    return [name for name, entry in domains().items() if role in entry.read]
