"""Alerts as a platform primitive: a failing job and a failed audit verification raise them
(in the domain their source belongs to), routing by topic prefix and minimum severity, counting
and escalation while open, and the API: which roles list and acknowledge which alerts (the
domain table), another tenant's alert a 404, acknowledgement audited and refused twice."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.audit.services import audit_event_record
from apps.audit.tests.conftest import EVENTS, tamper
from apps.jobs.models import Job, JobState
from apps.jobs.runner import PermanentJobError, job_task
from apps.jobs.services import job_create
from apps.notifications.alerts import alert_raise
from apps.notifications.models import Alert, Delivery
from apps.notifications.services import destination_create
from apps.notifications.tests.receiver import WebhookReceiver
from tests.raw_sql import raw_key

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/notifications/alerts/"
FAILING_TASK = "apps.notifications.tests.test_alerts.always_failing_task"


@job_task(name=FAILING_TASK)
def always_failing_task(job, progress):
    raise PermanentJobError("the input cannot be read")


def _fail_job(tenant, kind, capture):
    with capture(execute=True):
        job = job_create(tenant=tenant, kind=kind, task_name=FAILING_TASK)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    return job


def _ids(client, **query) -> set[str]:
    response = client.get(ALERTS, query)
    assert response.status_code == 200, response.content
    return {a["id"] for a in response.json()["results"]}


def test_a_failing_job_raises_an_alert_in_the_domain_of_its_kind(
    tenant, make_api_client, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as hook:
        destination_create(tenant=tenant, kind="webhook", url=hook.url, topics=["alert.jobs.*"])
        risk = _fail_job(tenant, "financial_risk.test_fails", django_capture_on_commit_callbacks)
        _fail_job(tenant, "financial_risk.test_fails", django_capture_on_commit_callbacks)
        platform = _fail_job(tenant, "isolation.test_fails", django_capture_on_commit_callbacks)
    alerts = {a.dedup_key: a for a in Alert.objects.filter(tenant=tenant, source="jobs.failed")}
    assert alerts["financial_risk.test_fails"].domain == "financial_risk"
    assert alerts["financial_risk.test_fails"].count == 2  # one open alert, counted again
    assert alerts["isolation.test_fails"].domain == "operations"
    # Only the error's class is sent out (a message may quote the data); the job keeps it.
    assert alerts["isolation.test_fails"].details["error"] == "PermanentJobError"
    assert "the input cannot be read" in platform.error
    assert alerts["isolation.test_fails"].details["job"] == str(platform.pk)
    assert risk.error.startswith("PermanentJobError")
    assert not any("the input cannot be read" in json.dumps(b) for b in hook.bodies)
    # One webhook per alert, not per failure.
    assert sorted(b["payload"]["details"]["kind"] for b in hook.bodies) == [
        "financial_risk.test_fails",
        "isolation.test_fails",
    ]
    # Who lists which: the domain table (analysts read financial_risk; auditors read it and
    # the platform's operations; agents read neither).
    risk_id, platform_id = (str(alerts[k].pk) for k in sorted(alerts))
    assert _ids(make_api_client(tenant, Role.ADMIN)) == {risk_id, platform_id}
    assert _ids(make_api_client(tenant, Role.AUDITOR)) == {risk_id, platform_id}
    assert _ids(make_api_client(tenant, Role.ANALYST)) == {risk_id}
    assert _ids(make_api_client(tenant, Role.AGENT)) == set()
    analyst = make_api_client(tenant, Role.ANALYST)
    assert analyst.get(f"{ALERTS}{platform_id}/").status_code == 404
    assert analyst.post(f"{ALERTS}{platform_id}/acknowledge/").status_code == 404
    # An analyst writes financial_risk data: acknowledges its alerts, as the key's creator.
    done = analyst.post(f"{ALERTS}{risk_id}/acknowledge/")
    assert done.status_code == 200 and done.json()["acknowledged"] is True
    assert done.json()["acknowledged_by_label"].startswith("api key")


def test_a_failed_audit_verification_raises_a_critical_alert(
    tenant, make_api_client, django_capture_on_commit_callbacks
):
    events = [audit_event_record(tenant=tenant, action=f"test.step{i}") for i in range(3)]
    tamper(
        (
            f"UPDATE {EVENTS} SET details = %s WHERE id = %s",
            [json.dumps({"forged": True}), raw_key(AuditEvent, events[1].pk)],
        )
    )
    destination_create(tenant=tenant, kind="email", emails=["security@example.com"])
    auditor = make_api_client(tenant, Role.AUDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        started = auditor.post("/api/v1/audit/verifications/")
    assert started.status_code == 202
    job = Job.objects.get(pk=started.json()["id"])
    assert job.state == JobState.SUCCEEDED and job.result["ok"] is False
    alert = Alert.objects.get(tenant=tenant, source="audit.verification")
    assert (alert.severity, alert.domain) == ("critical", "operations")
    assert alert.details["problems"] >= 1 and alert.details["first_kind"] == "altered"
    assert [m.to for m in mail.outbox] == [["security@example.com"]]
    assert mail.outbox[0].subject.startswith("[CRITICAL] Audit chain verification found")
    # Auditors read it but write nothing: the acknowledgement is the admin's, audited once.
    url = f"{ALERTS}{alert.pk}/acknowledge/"
    assert auditor.post(url).status_code == 403
    admin = make_api_client(tenant, Role.ADMIN)
    assert admin.post(url).status_code == 200
    again = admin.post(url)
    assert again.status_code == 400 and "alert" in again.json()["errors"]
    acknowledged = AuditEvent.objects.filter(
        action="notifications.alert.acknowledge", resource_id=str(alert.pk)
    )
    assert acknowledged.filter(outcome="success").count() == 1


def test_another_tenants_alert_is_a_404(tenant, other_tenant, make_api_client):
    theirs = alert_raise(
        tenant=other_tenant, source="test.source", severity="warning", title="t", dedup_key="k"
    )
    admin = make_api_client(tenant, Role.ADMIN)
    assert admin.get(f"{ALERTS}{theirs.pk}/").status_code == 404
    assert admin.post(f"{ALERTS}{theirs.pk}/acknowledge/").status_code == 404
    assert _ids(admin) == set()
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_routing_by_topic_prefix_and_minimum_severity(tenant):
    destination_create(tenant=tenant, kind="email", emails=["all@example.com"])
    destination_create(
        tenant=tenant, kind="email", emails=["pager@example.com"], min_severity="critical"
    )
    destination_create(
        tenant=tenant, kind="email", emails=["jobs@example.com"], topics=["alert.jobs.*"]
    )
    alert_raise(tenant=tenant, source="jobs.failed", severity="warning", title="w", dedup_key="a")
    alert_raise(
        tenant=tenant, source="audit.verification", severity="critical", title="c", dedup_key="b"
    )
    deliveries = sorted(
        (d.topic, d.destination.emails[0]) for d in Delivery.objects.select_related("destination")
    )
    assert deliveries == [
        ("alert.audit.verification", "all@example.com"),
        ("alert.audit.verification", "pager@example.com"),
        ("alert.jobs.failed", "all@example.com"),
        ("alert.jobs.failed", "jobs@example.com"),
    ]


def test_an_open_alert_raised_again_is_counted_and_escalated_not_resent(tenant):
    destination_create(tenant=tenant, kind="email", emails=["all@example.com"])
    first = alert_raise(tenant=tenant, source="s", severity="warning", title="t", dedup_key="k")
    again = alert_raise(tenant=tenant, source="s", severity="critical", title="t", dedup_key="k")
    assert again.pk == first.pk and again.count == 2 and again.severity == "critical"
    assert again.last_seen >= first.first_seen
    assert Delivery.objects.count() == 1
    raised = AuditEvent.objects.filter(
        action="notifications.alert.raise", resource_id=str(first.pk)
    )
    assert raised.count() == 2


def test_an_unknown_minimum_severity_is_a_400_naming_the_field(admin_client_for):
    response = admin_client_for.post(
        "/api/v1/notifications/destinations/",
        {"kind": "email", "emails": ["a@example.com"], "min_severity": "loud"},
        format="json",
    )
    assert response.status_code == 400 and "min_severity" in response.json()["errors"]
