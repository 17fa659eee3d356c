"""The audit API: auditors and admins list, filter, retrieve, export and verify their tenant's
log; other roles get 403; another tenant's events never show."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.audit.services import audit_event_record
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/v1/audit/events/"
EXPORT_URL = "/api/v1/audit/events/export/"
VERIFY_URL = "/api/v1/audit/verifications/"


@pytest.fixture
def logs(tenant, other_tenant):
    mine = [
        audit_event_record(tenant=tenant, action="test.read", resource_type="doc", resource_id="1"),
        audit_event_record(
            tenant=tenant, action="test.write", resource_type="doc", resource_id="1"
        ),
        audit_event_record(
            tenant=tenant, action="test.write", outcome="error", request_id="req-9", row_count=4
        ),
    ]
    theirs = [audit_event_record(tenant=other_tenant, action="test.write")]
    return mine, theirs


def ids_of(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def export_lines(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditor_and_admin_list_only_their_tenant(role, logs, tenant, make_api_client):
    mine, theirs = logs
    response = make_api_client(tenant, role).get(EVENTS_URL)
    assert response.status_code == 200
    assert ids_of(response) == {str(e.id) for e in mine}
    assert str(theirs[0].id) not in response.content.decode()
    newest = response.json()["results"][0]
    assert (newest["seq"], newest["prev_hash"]) == (3, mine[1].hash)
    assert newest["hash"] == mine[2].hash


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"action": "test.write"}, [1, 2]),
        ({"action_prefix": "test."}, [0, 1, 2]),
        ({"outcome": "error"}, [2]),
        ({"resource_type": "doc", "resource_id": "1"}, [0, 1]),
        ({"request_id": "req-9"}, [2]),
        ({"actor_kind": "anonymous"}, [0, 1, 2]),
        ({"actor_kind": "user"}, []),
        ({"until": "2000-01-01T00:00:00Z"}, []),
        ({"since": "2000-01-01T00:00:00Z"}, [0, 1, 2]),
    ],
)
def test_filters(query, expected, logs, tenant, make_api_client):
    mine, _ = logs
    response = make_api_client(tenant, Role.AUDITOR).get(EVENTS_URL, query)
    assert response.status_code == 200, response.content
    assert ids_of(response) == {str(mine[i].id) for i in expected}


def test_invalid_filter_is_a_400(logs, tenant, make_api_client):
    response = make_api_client(tenant, Role.AUDITOR).get(EVENTS_URL, {"outcome": "maybe"})
    assert response.status_code == 400


def test_retrieve(logs, tenant, make_api_client):
    mine, _ = logs
    response = make_api_client(tenant, Role.AUDITOR).get(f"{EVENTS_URL}{mine[2].id}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["action"], body["outcome"], body["row_count"]) == ("test.write", "error", 4)
    assert body["tenant"] == str(tenant.pk)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.CLINICIAN])
@pytest.mark.parametrize(
    "method,url", [("get", EVENTS_URL), ("get", EXPORT_URL), ("post", VERIFY_URL)]
)
def test_other_roles_are_forbidden(role, method, url, logs, tenant, make_api_client):
    response = getattr(make_api_client(tenant, role), method)(url)
    assert response.status_code == 403


def test_export_streams_jsonl_filtered_and_scoped(logs, tenant, make_api_client):
    mine, theirs = logs
    lines = export_lines(
        make_api_client(tenant, Role.AUDITOR).get(EXPORT_URL, {"action": "test.write"})
    )
    assert [line["id"] for line in lines] == [str(mine[1].id), str(mine[2].id)]
    assert [line["seq"] for line in lines] == [2, 3]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert all(line["tenant_id"] == str(tenant.pk) for line in lines)
    assert str(theirs[0].id) not in json.dumps(lines)


def test_export_defaults_to_the_last_day_and_is_audited(logs, tenant, make_api_client):
    mine, _ = logs
    lines = export_lines(make_api_client(tenant, Role.ADMIN).get(EXPORT_URL))
    assert [line["id"] for line in lines] == [str(e.id) for e in mine]  # not its own event
    export_event = AuditEvent.objects.get(action="audit.event.export")
    assert export_event.tenant_id == tenant.pk
    assert export_event.actor_kind == "api_key"
    assert "since" in export_event.details["filters"]


def test_export_since(logs, tenant, make_api_client):
    since = timezone.now().isoformat()
    later = audit_event_record(tenant=tenant, action="test.later")
    lines = export_lines(make_api_client(tenant, Role.AUDITOR).get(EXPORT_URL, {"since": since}))
    assert [line["id"] for line in lines] == [str(later.id)]


def test_export_rejects_a_bad_date(logs, tenant, make_api_client):
    response = make_api_client(tenant, Role.AUDITOR).get(EXPORT_URL, {"since": "yesterday"})
    assert response.status_code == 400


def test_verification_job(logs, tenant, make_api_client, django_capture_on_commit_callbacks):
    client = make_api_client(tenant, Role.AUDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY_URL)
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.state) == ("audit.verify", "succeeded")
    assert job.result["ok"] is True
    assert job.progress_total == 4  # three events and the audited start of this job
    assert job.progress_done == 4
    started = AuditEvent.objects.get(action="audit.verification.start")
    assert started.resource_id == str(job.pk)
