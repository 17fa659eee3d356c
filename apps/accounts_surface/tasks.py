"""Celery tasks of the accounts surface. Thin: they call its modules."""

from __future__ import annotations

from apps.jobs.runner import job_task

from .demo_content import DEMO_TASK_NAME, tenant_demo_content


@job_task(name=DEMO_TASK_NAME, max_retries=0)
def tenant_demo_content_task(job, progress) -> dict:
    """The verticals' demo content for the job's tenant (onboarding with demo content)."""
    return {"seeded": tenant_demo_content(tenant=job.tenant, progress=progress)}
