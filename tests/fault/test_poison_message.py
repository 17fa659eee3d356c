"""Poison messages: a job whose task always crashes its worker process, and one whose task
always raises, are each retried a bounded number of times and then recorded as failed; the
worker keeps serving other jobs, and the broker holds nothing of them afterwards."""

from __future__ import annotations

import pytest
import redis as redis_lib

from apps.jobs.models import Job, JobState
from apps.jobs.services import job_create
from config.celery import app as celery_app
from tests.fault.support import redis_server, wait_until, worker_settings
from tests.fault.tasks import RETRIES
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _job(tenant, task: str, **params) -> Job:
    return job_create(tenant=tenant, kind="fault.poison", task_name=f"tests.fault.tasks.{task}",
                      params=params)  # fmt: skip


def _finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return job if job.is_finished else None


def test_poison_messages_are_retried_a_bounded_number_of_times_then_failed(tenant, monkeypatch):
    with redis_server() as redis:
        monkeypatch.setenv("REDIS_URL", redis.url)
        broker = redis_lib.Redis.from_url(redis.url)
        with (
            real_broker(celery_app),
            # prefork: a crashing task takes down a child process, the parent requeues its
            # message (task_reject_on_worker_lost) and forks a new child.
            celery_worker(
                "default",
                pool="prefork",
                concurrency=1,
                extra_args=("--include", "tests.fault.tasks"),
                **worker_settings(redis.url),
            ) as (worker, log),
        ):
            crasher = _job(tenant, "crash_worker_task")
            raiser = _job(tenant, "always_raise_task")
            wait_until(lambda: _finished(crasher), timeout=120, what="the crashing job")
            wait_until(lambda: _finished(raiser), timeout=120, what="the raising job")
            # Nothing of them is left to be delivered again, and the worker still works.
            wait_until(
                lambda: broker.llen("default") == 0 and broker.hlen("unacked") == 0,
                what="the broker to hold no message of the poisoned jobs",
            )
            healthy = _job(tenant, "slow_steps_task", steps=2, step_s=0.01)
            wait_until(lambda: _finished(healthy), timeout=60, what="a healthy job")
            assert worker.poll() is None
        worker_log = log.read_text()

    assert crasher.state == JobState.FAILED, (crasher.error, worker_log[-3000:])
    # Each delivery counts an attempt; the one after the last allowed crash records the failure.
    assert crasher.attempts == RETRIES + 2
    assert "stopped its worker without finishing" in crasher.error
    assert worker_log.count("WorkerLostError") >= RETRIES + 1

    assert raiser.state == JobState.FAILED
    assert raiser.attempts == RETRIES + 1
    assert raiser.error == f"RuntimeError: poisoned input in job {raiser.pk}"

    assert healthy.state == JobState.SUCCEEDED and healthy.progress_done == 2
