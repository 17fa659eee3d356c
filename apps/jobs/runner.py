"""``@job_task``: turns ``fn(job, progress) -> result`` into an idempotent Celery task that
moves its Job through running → succeeded, or retrying → … → failed after a bounded number of
attempts. Verticals write their batch jobs with it:

    @job_task(name="apps.audit.tasks.audit_verify_task")
    def audit_verify_task(job, progress):
        ...
        progress(done, total)
        return {"events": n, "result_url": "..."}
"""

from __future__ import annotations

import functools
import logging

from celery import shared_task
from celery.utils import uuid
from django.conf import settings

from apps.core.context import Actor, actor_scope, request_id_scope

from .services import JobCancelled, JobProgress, job_fail, job_mark_retrying, job_start, job_succeed

logger = logging.getLogger(__name__)


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (bad input): the job fails at once."""


def job_task(*, name: str, max_retries: int | None = None, retry_delay_s: float = 5.0, **options):
    """Decorator for job task bodies; ``name`` is the Celery task name (``*_task``)."""
    retries = settings.JOB_MAX_RETRIES if max_retries is None else max_retries

    def decorate(body):
        @shared_task(bind=True, name=name, max_retries=retries, **options)
        @functools.wraps(body)
        def task(self, job_id: str):
            job = job_start(job_id=job_id, task_id=self.request.id or "")
            if job is None:
                logger.info("job %s already finished or missing; nothing to do", job_id)
                return None
            if not job.tenant.is_active:
                # A deactivated tenant refuses new work, including jobs queued before.
                job_fail(job=job, error="the tenant is deactivated")
                return None
            if job.attempts > retries + 1:
                # Every attempt that ended normally was counted and retried or failed above, so
                # the ones beyond that never came back: the task took its worker process down
                # (a segfault, the OOM killer) and the broker redelivered it. A poison message
                # must not crash workers for ever.
                error = (
                    f"gave up after {job.attempts - 1} attempts: the task stopped its worker "
                    "without finishing (crash or kill); last error: " + (job.error or "none")
                )
                logger.error("job %s %s", job_id, error)
                job_fail(job=job, error=error[:2000])
                return None
            actor = Actor.from_dict(job.actor) if job.actor else Actor("system", label="system")
            with request_id_scope(job.request_id or None), actor_scope(actor):
                try:
                    result = body(job, JobProgress(job))
                except JobCancelled:
                    logger.info("job %s was cancelled", job_id)
                    return None
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    permanent = isinstance(exc, PermanentJobError)
                    if not permanent and self.request.retries < self.max_retries:
                        logger.warning(
                            "job %s attempt %s failed, retrying: %s", job_id, job.attempts, error
                        )
                        # The retry gets its own task id, so that a stale redelivery of this
                        # attempt's message cannot start a second, concurrent attempt.
                        retry_id = uuid()
                        job_mark_retrying(job=job, error=error, task_id=retry_id)
                        # Exponential back-off; the job keeps its row, only the attempt repeats.
                        raise self.retry(
                            exc=exc,
                            countdown=retry_delay_s * (2**self.request.retries),
                            task_id=retry_id,
                        ) from exc
                    logger.error(
                        "job %s failed after %s attempt(s): %s", job_id, job.attempts, error
                    )
                    job_fail(job=job, error=error)
                    return None
                job_succeed(job=job, result=result)
                return {"job_id": job_id, "state": job.state}

        task.body = body
        return task

    return decorate
