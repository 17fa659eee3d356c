"""Retention: per-tenant policies and the scheduled job that deletes what is past them.

The job (``privacy_retention_task``, celery-beat daily) walks every tenant and every data kind,
deletes rows older than the tenant's policy (or the platform default) in batches of
PRIVACY_RETENTION_BATCH, reports progress and records one audit event per batch with counts.
A run over every tenant also applies the audit log's retention to the platform chain and to
the chains of offboarded (inactive) tenants, whose rows are gone but whose log is kept.

The audit log is kept longest: its period is never shorter than the longest period of any other
kind (the tenant's policies included), so the record of what happened to data outlives the data.
A policy that would make it shorter is refused; a platform default that would is raised.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Tenant
from apps.audit.services import audit_event_record, audited
from apps.privacy.models import RetentionPolicy

from .kinds import data_kinds, retention_days
from .platform_kinds import AUDIT_LOG, audit_log_expire_platform

# The task keeps the name it had in apps/privacy/lifecycle: stored jobs, queued messages and the
# beat schedule refer to it by that name.
RETENTION_TASK_NAME = "apps.privacy.lifecycle.tasks.privacy_retention_task"


def retention_policy_set(*, tenant, data_kind: str, days: int) -> RetentionPolicy:
    """Set how many days ``tenant`` keeps ``data_kind`` (a registered kind, 1 day or more)."""
    if data_kind not in data_kinds():
        raise ValidationError({"data_kind": [f"unknown data kind {data_kind!r}"]})
    if not isinstance(days, int) or days < 1:
        raise ValidationError({"days": ["must be a whole number of days, at least 1"]})
    if data_kind == AUDIT_LOG:
        longest, name = _longest_other(tenant)
        if days < longest:
            raise ValidationError(
                {
                    "days": [
                        f"the audit log is kept longest: at least {longest} days "
                        f"(as long as {name})"
                    ]
                }
            )
    with audited(
        tenant=tenant,
        action="privacy.retention.set",
        resource_type="privacy.retention_policy",
        details={"data_kind": data_kind, "days": days},
    ) as event:
        policy, _ = RetentionPolicy.objects.update_or_create(
            tenant=tenant, data_kind=data_kind, defaults={"days": days}
        )
        event.resource_id = str(policy.public_id)
    return policy


def retention_policy_clear(*, tenant, data_kind: str) -> bool:
    """Remove ``tenant``'s policy for ``data_kind`` (back to the platform default); audited.
    Whether there was one."""
    if data_kind not in data_kinds():
        raise ValidationError({"data_kind": [f"unknown data kind {data_kind!r}"]})
    with audited(
        tenant=tenant,
        action="privacy.retention.clear",
        resource_type="privacy.retention_policy",
        details={"data_kind": data_kind},
    ) as event:
        policy = RetentionPolicy.objects.filter(tenant=tenant, data_kind=data_kind).first()
        if policy is not None:
            event.resource_id = str(policy.public_id)
            policy.delete()
    return policy is not None


def tenant_retention_days(tenant, kind) -> int | None:
    """The period that applies to ``kind`` for ``tenant`` (None: kept until erased)."""
    return _days_for(tenant, kind)


def _policy_days(tenant, kind) -> int | None:
    policy = RetentionPolicy.objects.filter(tenant=tenant, data_kind=kind.name).first()
    return policy.days if policy else retention_days(kind)


def _longest_other(tenant) -> tuple[int, str]:
    """The longest period (days, kind) of any kind but the audit log, for ``tenant`` (its
    policies included) or, for None, the platform defaults; (0, "") when none expires."""
    periods = [
        (_policy_days(tenant, kind) if tenant is not None else retention_days(kind), kind.name)
        for kind in data_kinds().values()
        if kind.name != AUDIT_LOG
    ]
    return max(((days, name) for days, name in periods if days is not None), default=(0, ""))


def _days_for(tenant, kind) -> int | None:
    days = _policy_days(tenant, kind)
    if kind.name == AUDIT_LOG and days is not None:
        return max(days, _longest_other(tenant)[0])  # kept longest
    return days


def retention_run(*, tenants=None, progress=None) -> dict:
    """Delete every row past its retention period; returns counts by kind. ``progress(done,
    total)`` counts (tenant, kind) pairs."""
    tenants_all = tenants is None  # the platform's own chain goes with a run over every tenant
    tenants = list(tenants if tenants is not None else Tenant.objects.filter(is_active=True))
    kinds = list(data_kinds().values())
    total = len(tenants) * len(kinds)
    batch = settings.PRIVACY_RETENTION_BATCH
    counts: dict[str, int] = {}
    done = 0
    for tenant in tenants:
        for kind in kinds:
            days = _days_for(tenant, kind)
            if days is not None:
                before = timezone.now() - timedelta(days=days)
                while True:
                    with transaction.atomic():
                        deleted = kind.expire(tenant, before, batch)
                        if deleted:  # one audit event per batch that deleted something
                            audit_event_record(
                                tenant=tenant,
                                action="privacy.retention.delete",
                                resource_type="privacy.data_kind",
                                resource_id=kind.name,
                                row_count=deleted,
                                details={"days": days, "before": before.isoformat()},
                            )
                    counts[kind.name] = counts.get(kind.name, 0) + deleted
                    if deleted < batch:
                        break
            done += 1
            if progress:
                progress(done, total)
    if tenants_all:
        _add(counts, _audit_logs_without_tenant())
    return counts


def _audit_logs_without_tenant() -> dict:
    """The audit log's retention for the platform chain and offboarded tenants' chains."""
    audit_log = data_kinds().get(AUDIT_LOG)
    if audit_log is None or retention_days(audit_log) is None:
        return {}
    days = max(retention_days(audit_log), _longest_other(None)[0])
    deleted = audit_log_expire_platform(timezone.now() - timedelta(days=days))
    for tenant in Tenant.objects.filter(is_active=False):
        tenant_days = _days_for(tenant, audit_log)
        deleted += audit_log.expire(tenant, timezone.now() - timedelta(days=tenant_days), 0)
    return {AUDIT_LOG: deleted} if deleted else {}


def _add(counts: dict, more: dict) -> None:
    for name, count in more.items():
        counts[name] = counts.get(name, 0) + count
