"""Writes for tenants, memberships, API keys and usage. Keyword-only arguments (HackSoft)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from apps.audit.services import audited
from apps.core.context import Actor
from apps.core.public_ids import user_public_id

from .key_hashing import API_KEY_PREFIX, hash_api_key
from .models import ApiKey, Invitation, Membership, Quota, QuotaMetric, Tenant, UsageCounter
from .roles import Role
from .selectors import quota_limits_cache_key


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key and its plaintext secret, which exists only in this object."""

    api_key: ApiKey
    token: str


def tenant_create(*, name: str, slug: str | None = None) -> Tenant:
    """Create a tenant; the slug defaults to the slugified name."""
    return Tenant.objects.create(name=name, slug=slug or slugify(name))


def tenant_set_active(*, tenant: Tenant, is_active: bool, by) -> Tenant:
    """Activate or deactivate a tenant; only platform staff (superusers) may, both ways audited.

    A deactivated tenant reaches nothing: its API keys and sessions are refused, its rows leave
    the admin, console, chat and knowledge pages (``selectors.tenants_of``), and its jobs refuse
    new work (``apps.jobs.runner``).
    """
    if not (getattr(by, "is_superuser", False) and getattr(by, "is_active", False)):
        raise PermissionError("only platform staff may activate or deactivate a tenant")
    action = "accounts.tenant.activate" if is_active else "accounts.tenant.deactivate"
    with audited(
        tenant=None,
        action=action,
        resource_type="accounts.tenant",
        resource_id=str(tenant.pk),
        details={"tenant": tenant.slug, "is_active": is_active},
        actor=Actor("user", id=user_public_id(by.pk), label=by.get_username(), role="superuser"),
    ):
        Tenant.objects.filter(pk=tenant.pk).update(is_active=is_active)
        tenant.is_active = is_active
    return tenant


def membership_set(*, tenant: Tenant, user, role: str) -> Membership:
    """Give ``user`` exactly ``role`` in ``tenant`` (create or change the membership)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    return membership


def user_create(*, username: str, password: str, email: str = "", is_staff: bool = True):
    """Create a web-UI user (staff, so that they can use the tenant-scoped admin)."""
    return get_user_model().objects.create_user(
        username=username, password=password, email=email, is_staff=is_staff
    )


def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    role: str,
    created_by=None,
    expires_at: datetime | None = None,
    rate_limit: str = "",
) -> CreatedApiKey:
    """Issue a key. The returned token is the only copy of the secret: show it once."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    for _ in range(5):
        prefix = secrets.token_hex(6)
        token = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    tenant=tenant,
                    name=name,
                    role=role,
                    prefix=prefix,
                    hashed_secret=hash_api_key(token),
                    created_by=created_by,
                    expires_at=expires_at,
                    rate_limit=rate_limit,
                )
            return CreatedApiKey(api_key=api_key, token=token)
        except IntegrityError:  # prefix collision: 2^-48 per pair, but never fail a user for it
            continue
    raise RuntimeError("could not allocate a unique API key prefix")


def api_key_issue(
    *, tenant: Tenant, name: str, role: str, created_by=None, **options
) -> CreatedApiKey:
    """``api_key_create`` for an administrator (the API), recorded in the tenant's chain."""
    with audited(tenant=tenant, action="accounts.api_key.create", resource_type="api_key") as event:
        created = api_key_create(
            tenant=tenant, name=name, role=role, created_by=created_by, **options
        )
        event.resource_id = str(created.api_key.pk)
    return created


def membership_role_change(*, tenant: Tenant, membership: Membership, role: str) -> Membership:
    """An administrator of ``tenant`` gives a member another role; recorded in its chain."""
    with audited(
        tenant=tenant,
        action="accounts.membership.set",
        resource_type="membership",
        resource_id=str(membership.public_id),
    ):
        return membership_set(tenant=tenant, user=membership.user, role=role)


def membership_delete(*, tenant: Tenant, membership: Membership) -> None:
    """An administrator removes a member from ``tenant``; recorded in its chain."""
    with audited(
        tenant=tenant,
        action="accounts.membership.delete",
        resource_type="membership",
        resource_id=str(membership.public_id),
    ):
        membership.delete()


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key from now on; revoking twice keeps the first time. Audited."""
    if api_key.revoked_at is None:
        with audited(
            tenant=api_key.tenant,
            action="accounts.api_key.revoke",
            resource_type="api_key",
            resource_id=str(api_key.pk),
        ):
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
    return api_key


# How long an invitation may be accepted.
INVITATION_DAYS = 14


def invitation_create(*, tenant: Tenant, username: str, role: str, invited_by=None) -> None:
    """Invite the user called ``username`` to ``tenant`` in ``role``, if such a user exists.

    Returns nothing and records the same audit event either way (with a fresh id), so neither
    the answer nor the tenant's own audit log tells the inviter whether the username exists.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    with audited(
        tenant=tenant,
        action="accounts.invitation.create",
        resource_type="accounts.invitation",
        details={"role": role},
    ) as event:
        invitation_id = uuid.uuid4()
        if user is not None and not Membership.objects.filter(tenant=tenant, user=user).exists():
            Invitation.objects.create(
                id=invitation_id,
                tenant=tenant,
                user=user,
                role=role,
                invited_by=invited_by,
                expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
            )
        event.resource_id = str(invitation_id)


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The invited user accepts: the membership is created (audited in the tenant's chain)."""
    if invitation.user_id != user.pk:
        raise PermissionError("this invitation is for another user")
    if invitation.accepted_at is not None or invitation.expires_at <= timezone.now():
        raise ValueError("this invitation is no longer open")
    with audited(
        tenant=invitation.tenant,
        action="accounts.invitation.accept",
        resource_type="accounts.invitation",
        resource_id=str(invitation.pk),
        details={"role": invitation.role},
        actor=Actor(
            "user", id=user_public_id(user.pk), label=user.get_username(), role=invitation.role
        ),
    ):
        membership = membership_set(tenant=invitation.tenant, user=user, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return membership


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once a minute per key so busy keys do not write on every request."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def usage_add(*, tenant: Tenant, metric: str, amount: float, day: date | None = None) -> None:
    """Add ``amount`` to the tenant's counter for ``metric`` today, atomically."""
    if metric not in QuotaMetric.values:
        raise ValueError(f"unknown usage metric {metric!r}")
    day = day or timezone.now().date()
    updated = UsageCounter.objects.filter(tenant=tenant, metric=metric, day=day).update(
        value=F("value") + amount
    )
    if updated:
        return
    try:
        with transaction.atomic():
            UsageCounter.objects.create(tenant=tenant, metric=metric, day=day, value=amount)
    except IntegrityError:  # a concurrent request created it first
        UsageCounter.objects.filter(tenant=tenant, metric=metric, day=day).update(
            value=F("value") + amount
        )


_COUNTER_ADD_ASYNC = (
    "WITH c AS (SELECT set_config('synchronous_commit', 'off', true)) "
    f"UPDATE {UsageCounter._meta.db_table} SET value = value + %s FROM c "
    "WHERE tenant_id = %s AND metric = %s AND day = %s AND (%s::float8 IS NULL OR value < %s)"
)


def _counter_add_async(*, tenant_id, metric: str, day: date, amount: float, limit) -> bool:
    """The conditional UPDATE of ``usage_add_within``; whether a row was updated.

    On PostgreSQL outside a transaction it commits asynchronously (``synchronous_commit``
    off for this statement's own transaction): the answer does not wait for the WAL flush,
    which under a busy disk took 5-18 ms of every request. A database crash can lose the last
    fraction of a second of counted requests, never corrupt the counter; the limit check is
    unchanged (the UPDATE holds the row lock as before). Inside a caller's transaction (or on
    another database) the plain ORM UPDATE runs, so a caller's commit is never made
    asynchronous."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        rows = UsageCounter.objects.filter(tenant_id=tenant_id, metric=metric, day=day)
        under_limit = rows if limit is None else rows.filter(value__lt=limit)
        return bool(under_limit.update(value=F("value") + amount))
    with connection.cursor() as cursor:
        cursor.execute(_COUNTER_ADD_ASYNC, [amount, tenant_id, metric, day, limit, limit])
        return cursor.rowcount > 0


def usage_add_within(
    *, tenant_id, metric: str, amount: float, limit: float | None
) -> tuple[bool, float | None]:
    """Add ``amount`` to today's counter unless the counter already reached ``limit``.

    One conditional UPDATE in the common case (the counter exists and is under its limit), so
    that the per-request throttle costs one statement. Returns ``(added, used)``: ``used`` is the
    counter's value when the limit refused the addition, else None.
    """
    day = timezone.now().date()
    rows = UsageCounter.objects.filter(tenant_id=tenant_id, metric=metric, day=day)
    if _counter_add_async(tenant_id=tenant_id, metric=metric, day=day, amount=amount, limit=limit):
        return True, None
    used = rows.values_list("value", flat=True).first()
    if limit is not None and (used or 0) >= limit:
        return False, used or 0
    # No row yet today (or a concurrent request created it after the UPDATE above).
    usage_add(tenant=Tenant(pk=tenant_id), metric=metric, amount=amount, day=day)
    return True, None


def _request_count_sql(*, asynchronous: bool) -> str:
    """The conditional UPDATE of ``usage_add_within_own_limit``: the tenant's limit is read by
    the statement itself (its Quota row, else the platform default passed in)."""
    commit = "c AS (SELECT set_config('synchronous_commit', 'off', true)), " if asynchronous else ""
    return (
        f'WITH {commit}q AS (SELECT COALESCE((SELECT "limit" FROM {Quota._meta.db_table} '
        "WHERE tenant_id = %s AND metric = %s)::float8, %s::float8) AS lim) "
        f"UPDATE {UsageCounter._meta.db_table} SET value = value + %s "
        f"FROM {'c, ' if asynchronous else ''}q "
        "WHERE tenant_id = %s AND metric = %s AND day = %s AND (q.lim IS NULL OR value < q.lim)"
    )


def usage_add_within_own_limit(*, tenant_id, metric: str, amount: float) -> bool:
    """Add ``amount`` to today's counter if it is under the tenant's limit, read from the
    Quota table by the same statement: one round trip, where ``quota_limits`` and
    ``usage_add_within`` make two (a cache read, then the UPDATE); a limit changed behind the
    services' back applies at once. True when added; False on other databases, when no
    counter exists yet today or when the limit refuses: the caller then takes
    ``usage_add_within``, which creates the counter or says how much was used.

    Outside a transaction the statement commits asynchronously (as ``_counter_add_async``);
    inside a caller's transaction it leaves the commit alone."""
    if connection.vendor != "postgresql":
        return False
    default = settings.DEFAULT_TENANT_QUOTAS.get(metric)
    day = timezone.now().date()
    sql = _request_count_sql(asynchronous=not connection.in_atomic_block)
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, metric, default, amount, tenant_id, metric, day])
        return cursor.rowcount > 0


def quota_limits_forget(*, tenant_id) -> None:
    """Drop the tenant's cached limits (``selectors.quota_limits``), now and after the commit
    (a request between the two would cache the old limits again)."""
    key = quota_limits_cache_key(tenant_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def quota_set(*, tenant: Tenant, metric: str, limit: int | None) -> Quota | None:
    """Set (or, with ``limit=None``, remove) the tenant's own limit for ``metric``; every
    process applies it at once."""
    if metric not in QuotaMetric.values:
        raise ValueError(f"unknown quota metric {metric!r}")
    if limit is None:
        Quota.objects.filter(tenant=tenant, metric=metric).delete()
        quota = None
    else:
        quota, _ = Quota.objects.update_or_create(
            tenant=tenant, metric=metric, defaults={"limit": limit}
        )
    quota_limits_forget(tenant_id=tenant.pk)
    return quota
