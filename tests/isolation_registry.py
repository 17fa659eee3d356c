"""How to make one row of each tenant-owned model for a given tenant.

The isolation tests create one row per tenant for the model behind every API route and every
admin, and fail for a model missing here: a new model must say how to make one.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.accounts.roles import Role


def _membership(tenant):
    from apps.accounts.tests.factories import MembershipFactory

    return MembershipFactory(tenant=tenant, role=Role.AGENT)


def _api_key(tenant):
    from apps.accounts.services import api_key_create

    return api_key_create(tenant=tenant, name="isolation key", role=Role.ANALYST).api_key


def _quota(tenant):
    from apps.accounts.models import Quota

    return Quota.objects.create(tenant=tenant, metric="model_tokens_per_day", limit=123)


def _usage(tenant):
    from django.utils import timezone

    from apps.accounts.models import UsageCounter

    return UsageCounter.objects.create(
        tenant=tenant, metric="compute_seconds_per_day", day=timezone.now().date(), value=7
    )


def _audit_event(tenant):
    from apps.audit.services import audit_event_record

    return audit_event_record(tenant=tenant, action="isolation.test", resource_type="test")


def _audit_checkpoint(tenant):
    from apps.audit.services import audit_checkpoint_create

    _audit_event(tenant)
    return audit_checkpoint_create(tenant=tenant)[0]


def _job(tenant):
    from apps.jobs.models import Job

    return Job.objects.create(tenant=tenant, kind="isolation.test", task_name="none")


FACTORIES: dict[str, Callable] = {
    "accounts.tenant": lambda tenant: tenant,
    "accounts.membership": _membership,
    "accounts.apikey": _api_key,
    "accounts.quota": _quota,
    "accounts.usagecounter": _usage,
    "audit.auditevent": _audit_event,
    "audit.auditcheckpoint": _audit_checkpoint,
    "jobs.job": _job,
}


def make_row(model, tenant):
    label = model._meta.label_lower
    if label not in FACTORIES:
        raise AssertionError(
            f"No isolation factory for {label}: add one to tests/isolation_registry.py so the "
            "tenant-isolation tests cover it."
        )
    return FACTORIES[label](tenant)
