"""Messages the broker delivers again: a stale copy of an earlier attempt never starts a second
attempt, and a job whose deliveries keep ending without an outcome (its task crashed the worker)
is failed once the attempts are used up. tests/fault/ shows both against real workers."""

from __future__ import annotations

import pytest

from apps.jobs.models import Job, JobState
from apps.jobs.runner import job_task
from apps.jobs.services import job_mark_retrying, job_start

pytestmark = pytest.mark.django_db

RAN: list[str] = []


@job_task(name="apps.jobs.tests.records_runs_task", max_retries=2, retry_delay_s=0)
def records_runs_task(job, progress):
    RAN.append(str(job.pk))
    return {}


def _job(tenant, **fields) -> Job:
    return Job.objects.create(
        tenant=tenant, kind="test.redelivery", task_name=records_runs_task.name, **fields
    )


def test_a_stale_copy_of_an_earlier_attempt_does_not_start_the_job(tenant):
    job = _job(tenant)
    assert job_start(job_id=job.pk, task_id="first") is not None
    job_mark_retrying(job=job, error="boom", task_id="retry-1")
    # The first attempt's message, handed out again after a broker connection loss:
    assert job_start(job_id=job.pk, task_id="first") is None
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.RETRYING, 1)
    # The retry's own message starts the next attempt; a copy of the first still cannot.
    assert job_start(job_id=job.pk, task_id="retry-1") is not None
    assert job_start(job_id=job.pk, task_id="first") is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.task_id) == (JobState.RUNNING, 2, "retry-1")


def test_redelivery_after_a_crash_runs_again_until_attempts_are_used_up(tenant):
    # Two deliveries already ended without an outcome (attempts counted, job still running).
    job = _job(tenant, state=JobState.RUNNING, attempts=2, task_id="t")
    records_runs_task.apply(args=[str(job.pk)], task_id="t")
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and RAN.count(str(job.pk)) == 1

    crashed = _job(tenant, state=JobState.RUNNING, attempts=3, task_id="t")
    records_runs_task.apply(args=[str(crashed.pk)], task_id="t")
    crashed.refresh_from_db()
    assert crashed.state == JobState.FAILED
    assert crashed.attempts == 4 and str(crashed.pk) not in RAN
    assert "stopped its worker without finishing" in crashed.error
