"""Date-time query filters compare in UTC: an offset PostgreSQL refuses (over ±15:59) is no 500."""

import pytest

from apps.accounts.roles import Role
from apps.audit.services import audit_event_record


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/audit/events/", "/api/v1/audit/events/export/"])
def test_far_offsets_and_ancient_dates_are_answered(tenant, make_api_client, path):
    audit_event_record(tenant=tenant, action="test.event")
    api = make_api_client(tenant, Role.AUDITOR)
    for since in ("0151-08-23T08:03:48-19:48", "2026-01-01T00:00:00+23:59"):
        response = api.get(path, {"since": since})
        assert response.status_code == 200, response.content
        b"".join(response.streaming_content) if response.streaming else response.content
    overflow = api.get(path, {"since": "0001-01-01T00:00:00+01:00"})
    assert overflow.status_code == 400
    assert "since" in overflow.json()["errors"]
