"""Reads for accounts: tenant-scoped querysets and credential lookups."""

from __future__ import annotations

import functools
import hmac

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .key_hashing import hash_api_key, split_api_key
from .models import ApiKey, Membership, Quota, Tenant, UsageCounter


def api_key_for_token(token: str) -> ApiKey | None:
    """The active key matching ``token``, or None (unknown, revoked, expired or malformed)."""
    parts = split_api_key(token)
    if parts is None:
        return None
    api_key = _api_key_with_tenant(parts[0])
    if api_key is None or not hmac.compare_digest(api_key.hashed_secret, hash_api_key(token)):
        return None
    return api_key


@functools.cache
def _key_and_tenant_sql() -> tuple[str, list[str], list[str]]:
    key_fields = [f.attname for f in ApiKey._meta.concrete_fields]
    tenant_fields = [f.attname for f in Tenant._meta.concrete_fields]
    columns = [f'k."{ApiKey._meta.get_field(n).column}"' for n in key_fields] + [
        f't."{Tenant._meta.get_field(n).column}"' for n in tenant_fields
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {ApiKey._meta.db_table} k "
        f"JOIN {Tenant._meta.db_table} t ON t.id = k.tenant_id WHERE k.prefix = %s"
    )
    return sql, key_fields, tenant_fields


def _api_key_with_tenant(prefix: str) -> ApiKey | None:
    """``ApiKey.objects.select_related("tenant").filter(prefix=prefix).first()`` as one
    prepared statement: every API request runs it, and building it through the ORM's compiler
    cost more CPU than the rest of authentication. The rows come back as normal instances."""
    sql, key_fields, tenant_fields = _key_and_tenant_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [_from_db(value, column) for value, column in zip(row, _row_columns(), strict=True)]
    api_key = ApiKey.from_db(connection.alias, key_fields, values[: len(key_fields)])
    api_key.tenant = Tenant.from_db(connection.alias, tenant_fields, values[len(key_fields) :])
    return api_key


@functools.cache
def _row_columns() -> list:
    """The row's columns as ORM expressions (for the same value conversions as a queryset)."""
    _, key_fields, tenant_fields = _key_and_tenant_sql()
    return [ApiKey._meta.get_field(n).get_col("k") for n in key_fields] + [
        Tenant._meta.get_field(n).get_col("t") for n in tenant_fields
    ]


def _from_db(value, column):
    for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


def api_key_problem(api_key: ApiKey) -> str | None:
    """Why an otherwise valid key may not be used now, or None."""
    if api_key.revoked_at is not None:
        return "API key revoked."
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        return "API key expired."
    if not api_key.tenant.is_active:
        return "Tenant is deactivated."
    return None


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.select_related("tenant").filter(user=user, tenant__is_active=True)


def tenants_of(user, roles=None) -> QuerySet[Tenant]:
    """Active tenants in which ``user`` holds one of ``roles`` (any role when None).

    A deactivated tenant is never among them: the admin, the console, the chat page and the
    knowledge pages all start here, so deactivation shuts every one of them at once."""
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return Tenant.objects.filter(is_active=True, pk__in=memberships.values("tenant_id"))


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant)


def members_of(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(tenant=tenant)


def usage_of(*, tenant: Tenant) -> QuerySet[UsageCounter]:
    return UsageCounter.objects.filter(tenant=tenant)


def quota_limits_cache_key(tenant_id) -> str:
    return f"accounts:quota-limits:{tenant_id}"


def quota_limits(*, tenant_id) -> dict[str, float]:
    """Every metric's daily limit for the tenant: its own Quota rows over DEFAULT_TENANT_QUOTAS.

    Read on every request (throttle and model calls), so it is cached for QUOTA_CACHE_SECONDS;
    ``quota_set`` clears the cache, and a row changed behind the services' back takes effect
    within that time. 0 turns the cache off.
    """
    ttl = settings.QUOTA_CACHE_SECONDS
    key = quota_limits_cache_key(tenant_id)
    if ttl:
        cached = cache.get(key)
        if cached is not None:
            return cached
    limits = dict(settings.DEFAULT_TENANT_QUOTAS)
    limits.update(Quota.objects.filter(tenant_id=tenant_id).values_list("metric", "limit"))
    if ttl:
        cache.set(key, limits, ttl)
    return limits


def quota_limit_stored(*, tenant_id, metric: str) -> float | None:
    """The limit as stored now (no cache): the tenant's Quota row, else the platform default."""
    own = Quota.objects.filter(tenant_id=tenant_id, metric=metric).values_list("limit", flat=True)
    found = own.first()
    return found if found is not None else settings.DEFAULT_TENANT_QUOTAS.get(metric)


def quota_limit(*, tenant: Tenant, metric: str) -> float | None:
    """The tenant's limit for ``metric``: its own Quota row, else the platform default."""
    return quota_limits(tenant_id=tenant.pk).get(metric)


def usage_today(*, tenant: Tenant, metric: str) -> float:
    value = (
        UsageCounter.objects.filter(tenant=tenant, metric=metric, day=timezone.now().date())
        .values_list("value", flat=True)
        .first()
    )
    return value or 0
