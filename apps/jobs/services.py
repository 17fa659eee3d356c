"""Creating jobs and moving them through their states."""

from __future__ import annotations

import logging
import time

from celery import current_app
from django.db import transaction
from django.utils import timezone

from apps.core.context import get_actor, get_request_id
from apps.notifications.alerts import OPERATIONS_DOMAIN, Severity, alert_raise

from .access import job_access
from .models import FINISHED_STATES, Job, JobState

logger = logging.getLogger(__name__)

# Progress is written at most this often, so a tight loop over a million rows does not turn
# into a million UPDATEs.
PROGRESS_MIN_INTERVAL_S = 0.5


def job_create(*, tenant, kind: str, task_name: str, params: dict | None = None, actor=None) -> Job:
    """Create a queued job and send its task once the surrounding transaction commits.

    Enqueuing on commit means a worker can never pick the task up before the row exists.
    """
    actor = actor or get_actor()
    job = Job.objects.create(
        tenant=tenant,
        kind=kind,
        task_name=task_name,
        params=params or {},
        actor=actor.as_dict(),
        request_id=get_request_id() or "",
    )
    transaction.on_commit(lambda: job_enqueue(job=job))
    return job


def job_enqueue(*, job: Job) -> None:
    """Send the job's task to its queue (routing comes from the Celery app).

    Through a signature rather than ``send_task`` so that in-process mode (no broker) runs the
    task at once instead of publishing it to nowhere.
    """
    if current_app.conf.task_always_eager and job.task_name not in current_app.tasks:
        # In-process mode would hand an unknown task name to a broker that does not exist and
        # leave the job queued for ever: fail loudly instead.
        raise LookupError(f"task {job.task_name!r} is not registered (is its module imported?)")
    result = current_app.signature(job.task_name, args=[str(job.pk)]).apply_async()
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")


def job_start(*, job_id: str, task_id: str = "") -> Job | None:
    """Mark a job running and count the attempt; None if it already finished (a redelivered
    message after a worker restart must not run a finished job again)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in FINISHED_STATES:
            return None
        if (
            job.state in (JobState.RUNNING, JobState.RETRYING)
            and task_id
            and job.task_id
            and task_id != job.task_id
        ):
            # A stale copy of an earlier attempt's message: Redis hands an unacknowledged
            # message out again after a broker connection loss, even though its attempt ran
            # (or is running) and a retry under a new task id is already on its way.
            return None
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        if task_id:
            job.task_id = task_id
        job.save(update_fields=["state", "attempts", "started_at", "task_id"])
    return job


class JobCancelled(Exception):
    """Raised inside a running task when its job was cancelled through the API."""


class JobProgress:
    """Callable a task uses to report ``progress(done, total, message="")``.

    Raises JobCancelled when the job was cancelled meanwhile, which stops the task cleanly.
    """

    def __init__(self, job: Job):
        self.job = job
        self._last_write = 0.0

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        self.job.progress_done = done
        if total is not None:
            self.job.progress_total = total
        if message:
            self.job.progress_message = message[:200]
        now = time.monotonic()
        final = total is not None and done >= total
        if final or now - self._last_write >= PROGRESS_MIN_INTERVAL_S:
            self._last_write = now
            updated = Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(
                progress_done=self.job.progress_done,
                progress_total=self.job.progress_total,
                progress_message=self.job.progress_message,
            )
            if not updated:
                raise JobCancelled(str(self.job.pk))


def job_succeed(*, job: Job, result: dict | None) -> Job:
    """Record success; a ``result_url`` key in the result becomes the job's result link."""
    result = dict(result or {})
    job.result_url = str(result.pop("result_url", "") or "")
    job.result = result
    job.state = JobState.SUCCEEDED
    job.finished_at = timezone.now()
    if job.progress_total is not None:
        job.progress_done = job.progress_total
    job.save()
    return job


def job_mark_retrying(*, job: Job, error: str, task_id: str = "") -> Job:
    """Record a failed attempt whose retry is sent as task ``task_id`` (only that message may
    start the next attempt; see job_start)."""
    job.state = JobState.RETRYING
    job.error = error
    job.task_id = task_id or job.task_id
    job.save(update_fields=["state", "error", "task_id"])
    return job


def job_fail(*, job: Job, error: str) -> Job:
    """Record a final failure: no further retries. The failure raises an alert (one open
    alert per job kind, counted again while unacknowledged)."""
    job.state = JobState.FAILED
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    job_failure_alert(job=job)
    return job


def job_failure_alert(*, job: Job):
    """The alert of a failed job, in the domain of its kind (apps.jobs.access; kinds of no
    domain are the platform's ``operations``). A failure to alert never hides the job's own; a
    deactivated tenant's refused jobs alert nobody. Only the error's class leaves the platform
    (messages may quote the data being processed); the job keeps the whole message."""
    if not job.tenant.is_active:
        return None
    try:
        return alert_raise(
            tenant=job.tenant,
            source="jobs.failed",
            severity=Severity.WARNING,
            title=f"Job {job.kind} failed after {job.attempts} attempt(s)",
            dedup_key=job.kind,
            domain=job_access(job.kind).domain or OPERATIONS_DOMAIN,
            details={
                "job": str(job.pk),
                "kind": job.kind,
                "error": (job.error or "").split(":", 1)[0][:100],
            },
        )
    except Exception:
        logger.exception("could not raise the alert of failed job %s", job.pk)
        return None


def job_cancel(*, job: Job) -> Job:
    """Cancel a job that has not finished; its task stops at the next progress report."""
    if job.state in FINISHED_STATES:
        return job
    job.state = JobState.CANCELLED
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "finished_at"])
    if job.task_id:
        current_app.control.revoke(job.task_id)
    return job
