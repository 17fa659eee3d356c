"""Celery tasks of the data lifecycle. Thin: they call services."""

from __future__ import annotations

from celery import shared_task

from apps.accounts.models import Tenant
from apps.jobs.runner import job_task
from apps.jobs.services import job_create
from apps.privacy.models import ErasureRequest, ErasureScope
from models_runtime.cache import cache_drop_tenant

from .erasure import ERASURE_TASK_NAME, erasure_execute
from .export import tenant_export
from .files import offboarding_archive
from .retention import RETENTION_TASK_NAME, retention_run

RETENTION_JOB_KIND = "privacy.retention"


@job_task(name=ERASURE_TASK_NAME)
def privacy_erasure_task(job, progress) -> dict:
    """Execute an approved erasure request (offboarding exports the tenant first); the result
    is the erasure certificate."""
    erasure = ErasureRequest.objects.select_related("approval", "tenant").get(
        pk=job.params["erasure_request"]
    )
    exported = None
    if erasure.scope == ErasureScope.TENANT and not erasure.completed_at:
        path = offboarding_archive(erasure)
        exported = {"archive": str(path), "rows": tenant_export(tenant=erasure.tenant, path=path)}
    certificate = erasure_execute(erasure=erasure, progress=progress, cache_drop=cache_drop_tenant)
    return {"certificate": certificate, "export": exported}


@job_task(name=RETENTION_TASK_NAME)
def privacy_retention_task(job, progress) -> dict:
    """Delete the job's tenant's rows past their retention period, in batches, one audit
    event per batch; progress counts data kinds."""
    return {"deleted": retention_run(tenants=[job.tenant], progress=progress)}


# Named as in apps/privacy/lifecycle, where the beat schedule (CELERY_BEAT_SCHEDULE) found it.
@shared_task(name="apps.privacy.lifecycle.tasks.privacy_retention_scheduled_task")
def privacy_retention_scheduled_task() -> list[str]:
    """celery-beat's daily entry: one retention job per active tenant."""
    return [
        str(job_create(tenant=tenant, kind=RETENTION_JOB_KIND, task_name=RETENTION_TASK_NAME).pk)
        for tenant in Tenant.objects.filter(is_active=True)
    ]
