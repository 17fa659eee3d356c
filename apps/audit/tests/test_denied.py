"""Refused requests (401, 403, 404) leave a denied event, and it persists although the request
failed."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.audit.models import PLATFORM_CHAIN, AuditEvent, chain_key
from apps.audit.services import audit_event_record

EVENTS_URL = "/api/v1/audit/events/"


def denied_events(**filters):
    return list(AuditEvent.objects.filter(outcome="denied", **filters).order_by("created_at"))


@pytest.mark.django_db
def test_bad_api_key_is_audited_in_the_platform_chain():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key vap_nosuchkey_" + "x" * 40)
    response = client.get(EVENTS_URL, {"outcome": "success"})
    assert response.status_code == 401

    (event,) = denied_events()
    assert (event.chain, event.tenant_id) == (PLATFORM_CHAIN, None)
    assert (event.action, event.status_code) == ("http.get.denied", 401)
    assert event.resource_id == EVENTS_URL  # the path only: no query string
    assert event.actor_kind == "anonymous"
    assert event.details["reason"] == "Invalid API key."
    # The client's address is personal data: a keyed digest of it, never the address.
    assert event.details["source"].startswith("addr:") and "127.0.0.1" not in str(event.details)
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_role_not_allowed_is_audited_in_the_tenant_chain(tenant, make_api_client):
    client = make_api_client(tenant, Role.AGENT)
    response = client.get(EVENTS_URL)
    assert response.status_code == 403

    (event,) = denied_events()
    assert (event.chain, event.tenant_id) == (chain_key(tenant.pk), tenant.pk)
    assert (event.action, event.status_code, event.resource_id) == (
        "http.get.denied",
        403,
        EVENTS_URL,
    )
    assert (event.actor_kind, event.actor_id, event.actor_role) == (
        "api_key",
        str(client.api_key.pk),
        "agent",
    )


@pytest.mark.django_db
def test_other_tenants_event_is_404_and_audited_in_the_platform_chain(
    tenant, other_tenant, make_api_client
):
    """The refusal is recorded, but not in the requester's own chain: an event there would tell
    the requester (who reads its chain) that the id exists in another tenant."""
    theirs = audit_event_record(tenant=other_tenant, action="test.secret")
    path = f"{EVENTS_URL}{theirs.id}/"
    response = make_api_client(tenant, Role.AUDITOR).get(path)
    assert response.status_code == 404

    (refused,) = denied_events(action="http.get.denied")
    assert (refused.chain, refused.status_code, refused.resource_id) == (
        PLATFORM_CHAIN,
        404,
        path,
    )
    assert not denied_events(tenant=tenant)  # nothing in the requester's log
    assert not denied_events(tenant=other_tenant)  # nothing about it in B's log


@pytest.mark.django_db(transaction=True)
def test_denied_event_persists_after_the_failed_request(tenant, make_api_client):
    """No test transaction around it: the event must be committed by the time the 403 left."""
    client = make_api_client(tenant, Role.ANALYST)
    response = client.get(EVENTS_URL)
    assert response.status_code == 403
    assert not connection.in_atomic_block
    (event,) = denied_events()
    assert (event.tenant_id, event.status_code) == (tenant.pk, 403)


@pytest.mark.django_db
def test_audit_failure_never_turns_a_4xx_into_a_500(tenant, make_api_client, settings, monkeypatch):
    settings.AUDIT_RAISE_ERRORS = False  # production behaviour: log and answer

    def broken(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("apps.audit.services.events.audit_event_record", broken)
    response = make_api_client(tenant, Role.AGENT).get(EVENTS_URL)
    assert response.status_code == 403
    assert not denied_events()


@pytest.mark.django_db
def test_personal_data_in_a_denied_path_is_masked(tenant, make_api_client):
    response = make_api_client(tenant, Role.AUDITOR).get(f"{EVENTS_URL}4111111111111111/")
    assert response.status_code == 404
    (event,) = denied_events()
    assert "4111111111111111" not in event.resource_id
    assert event.resource_id.startswith(EVENTS_URL)
