"""Jobs: progress, bounded retries then failure, idempotence, cancellation, the API."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from apps.jobs.models import Job, JobState
from apps.jobs.runner import PermanentJobError, job_task
from apps.jobs.services import job_create

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: dict[str, int] = {}


@job_task(name="apps.jobs.tests.count_to_task", retry_delay_s=0)
def count_to_task(job, progress):
    total = job.params["n"]
    for done in range(1, total + 1):
        progress(done, total)
    return {"counted": total, "result_url": "/somewhere/"}


@job_task(name="apps.jobs.tests.always_fails_task", max_retries=2, retry_delay_s=0)
def always_fails_task(job, progress):
    CALLS[str(job.pk)] = CALLS.get(str(job.pk), 0) + 1
    raise RuntimeError("the disk is on fire")


@job_task(name="apps.jobs.tests.bad_input_task", max_retries=5, retry_delay_s=0)
def bad_input_task(job, progress):
    CALLS[str(job.pk)] = CALLS.get(str(job.pk), 0) + 1
    raise PermanentJobError("column 'amount' missing")


def test_job_runs_and_reports_progress(tenant, make_api_client):
    job = job_create(
        tenant=tenant, kind="test.count", task_name=count_to_task.name, params={"n": 5}
    )
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert job.result == {"counted": 5}
    assert job.result_url == "/somewhere/"

    body = make_api_client(tenant, Role.ADMIN).get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["state"] == "succeeded"
    assert body["progress"] == {"done": 5, "total": 5, "fraction": 1.0, "message": ""}
    assert body["result_url"] == "/somewhere/"


def test_failing_job_is_retried_a_bounded_number_of_times_then_failed(tenant):
    job = job_create(tenant=tenant, kind="test.fail", task_name=always_fails_task.name)
    job.refresh_from_db()
    assert CALLS[str(job.pk)] == 3, "one attempt plus max_retries=2, then stop"
    assert job.state == JobState.FAILED
    assert job.attempts == 3
    assert "RuntimeError: the disk is on fire" in job.error


def test_permanent_error_fails_at_once(tenant):
    job = job_create(tenant=tenant, kind="test.bad", task_name=bad_input_task.name)
    job.refresh_from_db()
    assert CALLS[str(job.pk)] == 1
    assert job.state == JobState.FAILED
    assert "amount" in job.error


def test_finished_job_is_not_run_again(tenant):
    job = job_create(
        tenant=tenant, kind="test.count", task_name=count_to_task.name, params={"n": 2}
    )
    Job.objects.filter(pk=job.pk).update(result={"counted": "original"})
    count_to_task.apply(args=[str(job.pk)])  # a redelivered message
    job.refresh_from_db()
    assert job.result == {"counted": "original"}
    assert job.attempts == 1


def test_cancelled_job_stops_at_its_next_progress_report(tenant):
    job = Job.objects.create(
        tenant=tenant, kind="test.count", task_name=count_to_task.name, params={"n": 3}
    )

    @job_task(name="apps.jobs.tests.cancel_midway_task", retry_delay_s=0)
    def cancel_midway_task(job, progress):
        Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)
        progress(1, 3)
        raise AssertionError("must not get here")

    cancel_midway_task.apply(args=[str(job.pk)])
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


def test_cancel_endpoint(tenant, make_api_client):
    job = Job.objects.create(tenant=tenant, kind="test.long", task_name="none")
    body = make_api_client(tenant, Role.ADMIN).post(f"/api/v1/jobs/{job.pk}/cancel/").json()
    assert body["state"] == "cancelled"


def test_unregistered_task_fails_loudly_in_process_mode(tenant):
    with pytest.raises(LookupError, match="not registered"):
        job_create(tenant=tenant, kind="test.ghost", task_name="apps.nowhere.ghost_task")
