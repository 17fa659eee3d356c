"""Shared bits of the audit management commands."""

from django.core.management.base import CommandError

from apps.audit.models import AuditEvent


def tenant_option(slug: str | None):
    """The Tenant named by a ``--tenant SLUG`` option, None without one; CommandError if unknown.

    The tenant model is the one the chain's foreign key names ("accounts.Tenant"): audit sits
    below accounts in the import contract and refers to tenants by that key only."""
    if not slug:
        return None
    tenant_model = AuditEvent._meta.get_field("tenant").related_model
    tenant = tenant_model.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError(f"no tenant with slug {slug!r}")
    return tenant
