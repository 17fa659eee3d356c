"""Retention: per-tenant policies and the scheduled job that deletes what is past them.

The job (``privacy_retention_task``, celery-beat daily) walks every tenant and every data kind,
deletes rows older than the tenant's policy (or the platform default) in batches of
PRIVACY_RETENTION_BATCH, reports progress and records one audit event per batch with counts.
A run over every tenant also applies the audit log's retention to the platform chain.
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


def _days_for(tenant, kind) -> int | None:
    policy = RetentionPolicy.objects.filter(tenant=tenant, data_kind=kind.name).first()
    return policy.days if policy else retention_days(kind)


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
    audit_log = data_kinds().get(AUDIT_LOG)
    if tenants_all and audit_log is not None and retention_days(audit_log) is not None:
        before = timezone.now() - timedelta(days=retention_days(audit_log))
        deleted = audit_log_expire_platform(before)
        counts[AUDIT_LOG] = counts.get(AUDIT_LOG, 0) + deleted
    return counts
