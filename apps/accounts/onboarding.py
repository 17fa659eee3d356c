"""Onboarding a tenant in one step (platform staff): the tenant, its first administrator invited
to it, and its own quotas, each write audited in the new tenant's chain. The verticals' demo
content, optional, is apps.accounts_surface.demo_content (it runs as a job).

The first administrator is an existing user or a new staff user with a random first password,
shown once to the operator who runs the onboarding; either way they join through an invitation
they accept after signing in (``/accounts/invitations/``), so nobody becomes a tenant's admin
without taking the step themselves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from apps.audit.services import audited

from .models import QuotaMetric, Tenant
from .roles import Role
from .services import invitation_create, quota_set, tenant_create, user_create

SLUG_MAX_LENGTH = Tenant._meta.get_field("slug").max_length
NAME_MAX_LENGTH = Tenant._meta.get_field("name").max_length


class OnboardingError(ValueError):
    """A request that cannot be carried out; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Onboarded:
    tenant: Tenant
    admin_username: str
    # Set only when the administrator's account was created now: shown once, never stored.
    first_password: str | None


def tenant_onboard(
    *,
    name: str,
    admin_username: str,
    slug: str | None = None,
    admin_email: str = "",
    quotas: dict[str, int] | None = None,
    invited_by=None,
) -> Onboarded:
    """Create the tenant, invite its first administrator and set its own quotas, all or nothing."""
    slug = slug or slugify(name)
    if not name.strip():
        raise OnboardingError("name", "must not be empty")
    if not slug:
        raise OnboardingError("slug", "must contain letters or digits")
    if len(slug) > SLUG_MAX_LENGTH:
        raise OnboardingError("slug", f"at most {SLUG_MAX_LENGTH} characters")
    if len(name) > NAME_MAX_LENGTH:
        raise OnboardingError("name", f"at most {NAME_MAX_LENGTH} characters")
    if Tenant.objects.filter(slug=slug).exists():
        raise OnboardingError("slug", f"a tenant {slug!r} exists already")
    if not admin_username.strip():
        raise OnboardingError("admin", "must not be empty")
    for metric, limit in (quotas or {}).items():
        if metric not in QuotaMetric.values:
            raise OnboardingError(
                "quota", f"unknown metric {metric!r} ({', '.join(QuotaMetric.values)})"
            )
        if limit < 0:
            raise OnboardingError("quota", f"{metric} must not be negative")
    users = get_user_model().objects
    existing = users.filter(username=admin_username).first()
    if existing is not None and not existing.is_active:
        raise OnboardingError("admin", f"the user {admin_username!r} is deactivated")
    try:
        return _onboard(name, slug, admin_username, admin_email, quotas, invited_by, existing)
    except IntegrityError as exc:
        # The slug taken since the check above, by a concurrent request (else: not ours to name).
        if Tenant.objects.filter(slug=slug).exists():
            raise OnboardingError("slug", f"a tenant {slug!r} exists already") from exc
        raise


def _onboard(name, slug, admin_username, admin_email, quotas, invited_by, existing) -> Onboarded:
    with transaction.atomic():
        tenant = tenant_create(name=name, slug=slug)
        with audited(
            tenant=tenant,
            action="accounts.tenant.create",
            resource_type="accounts.tenant",
            resource_id=str(tenant.pk),
            details={
                "tenant": slug,
                "quotas": dict(quotas or {}),
                # Whether the first administrator's account was made by this onboarding.
                "admin_account_created": existing is None,
            },
        ):
            for metric, limit in (quotas or {}).items():
                quota_set(tenant=tenant, metric=metric, limit=limit)
        first_password = None
        if existing is None:
            first_password = secrets.token_urlsafe(15)
            user_create(username=admin_username, password=first_password, email=admin_email)
        invitation_create(
            tenant=tenant, username=admin_username, role=Role.ADMIN, invited_by=invited_by
        )
    return Onboarded(tenant=tenant, admin_username=admin_username, first_password=first_password)
