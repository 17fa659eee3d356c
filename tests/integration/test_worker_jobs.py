"""A real Celery worker process on Redis runs a job; its progress shows in /api/v1/jobs/<id>/."""

from __future__ import annotations

import time

import pytest

from apps.accounts.roles import Role
from apps.audit.services import audit_event_record
from config.celery import app as celery_app
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_a_job_and_progress_is_visible(tenant, make_api_client):
    for i in range(300):
        audit_event_record(tenant=tenant, action="integration.event", resource_id=str(i))
    client = make_api_client(tenant, Role.AUDITOR)

    with celery_worker("default") as (_proc, log), real_broker(celery_app):
        started = client.post("/api/v1/audit/verifications/", {}, format="json")
        assert started.status_code == 202, started.content
        job_url = started["Location"]
        assert job_url == started.json()["url"]

        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            body = client.get(job_url).json()
            seen.append((body["state"], body["progress"]["done"]))
            if body["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.05)
    worker_log = log.read_text()  # after the worker stopped: every line is flushed

    assert body["state"] == "succeeded", (body, worker_log[-2000:])
    assert body["progress"]["total"] >= 300
    assert body["progress"]["done"] == body["progress"]["total"]
    assert body["result"]["ok"] is True
    assert seen[0][0] in ("queued", "running", "succeeded")
    # It ran in the worker process, not in this one.
    from apps.jobs.models import Job

    task_id = Job.objects.get(pk=body["id"]).task_id
    assert task_id and f"[{task_id}] received" in worker_log
