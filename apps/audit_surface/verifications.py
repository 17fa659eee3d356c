"""Verifying a tenant's chain as a background job (``apps.jobs``)."""

from __future__ import annotations

from apps.audit.services import audited
from apps.jobs.models import Job
from apps.jobs.services import job_create

VERIFY_JOB_KIND = "audit.verify"
# By name: the task module imports the services, not the other way round.
VERIFY_TASK_NAME = "apps.audit.tasks.audit_verify_task"


def audit_verification_start(*, tenant) -> Job:
    """Queue a verification of ``tenant``'s chain and checkpoints; the job reports progress
    (events done/total) and ends with the verification result (``ok`` and any problems).

    The start is itself audited; the task is sent when the transaction commits."""
    with audited(
        tenant=tenant, action="audit.verification.start", resource_type="jobs.job"
    ) as event:
        job = job_create(tenant=tenant, kind=VERIFY_JOB_KIND, task_name=VERIFY_TASK_NAME)
        event.resource_id = job.pk
    job.refresh_from_db()  # with in-process tasks it has already run by now
    return job
