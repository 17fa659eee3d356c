"""audit_event_record: chains, links, defaults from the request context, limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.audit.hashing import event_hash
from apps.audit.models import (
    GENESIS_HASH,
    PLATFORM_CHAIN,
    AuditChainHead,
    AuditEvent,
    chain_key,
)
from apps.audit.services import audit_event_record
from apps.core.context import Actor, actor_scope, request_id_scope

pytestmark = pytest.mark.django_db


def test_events_link_into_one_chain_per_tenant(tenant, other_tenant):
    first = audit_event_record(tenant=tenant, action="test.a")
    elsewhere = audit_event_record(tenant=other_tenant, action="test.b")
    second = audit_event_record(tenant=tenant, action="test.c")

    assert (first.chain, first.seq, first.prev_hash) == (chain_key(tenant.pk), 1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert (elsewhere.chain, elsewhere.seq) == (chain_key(other_tenant.pk), 1)
    head = AuditChainHead.objects.get(chain=chain_key(tenant.pk))
    assert (head.last_seq, head.last_hash, head.tenant_id) == (2, second.hash, tenant.pk)


def test_event_without_tenant_goes_to_the_platform_chain(tenant):
    audit_event_record(tenant=tenant, action="test.a")
    event = audit_event_record(tenant=None, action="http.get.denied", outcome="denied")
    assert (event.chain, event.seq, event.tenant_id) == (PLATFORM_CHAIN, 1, None)


def test_actor_and_request_id_come_from_the_context(tenant):
    actor = Actor("api_key", id="k1", label="billing key (abc)", tenant_id=tenant.pk, role="agent")
    with actor_scope(actor), request_id_scope("req-123"):
        event = audit_event_record(tenant=tenant, action="test.a")
    assert (event.actor_kind, event.actor_id, event.actor_label, event.actor_role) == (
        "api_key",
        "k1",
        "billing key (abc)",
        "agent",
    )
    assert event.request_id == "req-123"


def test_explicit_actor_and_request_id_win(tenant):
    with request_id_scope("req-ctx"):
        event = audit_event_record(
            tenant=tenant, action="test.a", actor=Actor("system", label="cron"), request_id="r2"
        )
    assert (event.actor_kind, event.actor_label, event.request_id) == ("system", "cron", "r2")


def test_hash_survives_the_database_round_trip(tenant):
    event = audit_event_record(
        tenant=tenant,
        action="test.a",
        resource_type="test.thing",
        resource_id=42,
        status_code=201,
        latency_ms=12.6,
        model_name="risk-xgb",
        model_revision="2025-01",
        input_digest="ab" * 32,
        row_count=3,
        details={"when": datetime(2025, 1, 2, tzinfo=UTC), "ratio": 0.1, "names": ["é", "ü"]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {
        "when": "2025-01-02T00:00:00.000000+00:00",
        "ratio": 0.1,
        "names": ["é", "ü"],
    }
    assert (stored.resource_id, stored.latency_ms) == ("42", 13)
    assert event_hash(stored) == stored.hash == event.hash


def test_long_text_is_truncated_not_refused(tenant):
    event = audit_event_record(tenant=tenant, action="test.a", resource_id="x" * 1000)
    assert len(event.resource_id) == 255
    assert event_hash(AuditEvent.objects.get(pk=event.pk)) == event.hash


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": ""},
        {"action": "test.a", "outcome": "maybe"},
        {"action": "test.a", "details": {"blob": "x" * 5000}},
        {"action": "test.a", "details": ["not", "a", "dict"]},
    ],
)
def test_invalid_events_are_refused(tenant, kwargs):
    with pytest.raises((ValueError, TypeError)):
        audit_event_record(tenant=tenant, **kwargs)
    assert not AuditEvent.objects.exists()


@pytest.mark.postgres  # SQLite locks no rows, so there the insert always runs (it serialises)
def test_a_known_chain_appends_without_trying_to_create_its_head(tenant):
    """After its first event, a chain's next event in this process skips the INSERT … ON
    CONFLICT of the head: the per-request path is one statement shorter."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    audit_event_record(tenant=tenant, action="first")
    with CaptureQueriesContext(connection) as queries:
        second = audit_event_record(tenant=tenant, action="second")
    statements = [q["sql"] for q in queries]
    assert not any('INSERT INTO "audit_auditchainhead"' in sql for sql in statements)
    assert second.seq == 2


def test_a_chain_thought_known_whose_head_is_missing_is_created(tenant, monkeypatch):
    from apps.audit.models import chain_key
    from apps.audit.services import events

    monkeypatch.setattr(events, "_known_chains", {chain_key(tenant.pk)})
    event = audit_event_record(tenant=tenant, action="first")
    assert event.seq == 1


def test_user_actor_is_named_by_id_only(tenant):
    actor = Actor("user", id=42, label="alice@example.com", tenant_id=tenant.pk, role="admin")
    event = audit_event_record(tenant=tenant, action="test.a", actor=actor)
    assert (event.actor_id, event.actor_label) == ("42", "user:42")
