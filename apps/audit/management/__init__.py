"""Shared bits of the audit management commands."""

from django.core.management.base import CommandError


def tenant_option(slug: str | None):
    """The Tenant named by a ``--tenant SLUG`` option, None without one; CommandError if unknown."""
    if not slug:
        return None
    from apps.accounts.models import Tenant

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError(f"no tenant with slug {slug!r}")
    return tenant
