"""``audited``: one event per action, in the action's transaction; errors recorded and re-raised."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.accounts.models import Tenant
from apps.audit.hashing import canonical_json
from apps.audit.models import AuditEvent
from apps.audit.services import audited, current_audit_draft, input_digest
from apps.audit.verification import audit_chains_verify
from apps.core.context import Actor, actor_scope, request_id_scope

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_success_writes_one_event_with_what_the_block_set(tenant):
    actor = Actor("user", id=7, label="alice", tenant_id=tenant.pk, role="analyst")
    with actor_scope(actor), request_id_scope("req-1"):
        with audited(
            tenant=tenant, action="test.thing.create", resource_type="accounts.tenant"
        ) as event:
            created = Tenant.objects.create(name="Made in block", slug="made-in-block")
            event.resource_id = created.pk
            event.model_name, event.model_revision = "risk-xgb", "r7"
            event.input_digest = input_digest(tenant=tenant, data={"x": 1})
            event.details["score_bucket"] = "high"

    recorded = AuditEvent.objects.get(action="test.thing.create")
    assert event.event == recorded
    assert recorded.outcome == "success"
    assert recorded.resource_id == str(created.pk)
    assert (recorded.model_name, recorded.model_revision) == ("risk-xgb", "r7")
    assert recorded.input_digest == input_digest(tenant=tenant, data={"x": 1})
    assert recorded.details == {"score_bucket": "high"}
    assert (recorded.actor_kind, recorded.actor_id, recorded.request_id) == ("user", "7", "req-1")
    assert recorded.latency_ms is not None and recorded.latency_ms >= 0


def test_event_rolls_back_with_the_outer_transaction(tenant):
    with pytest.raises(Boom):
        with transaction.atomic():
            with audited(tenant=tenant, action="test.thing.create"):
                Tenant.objects.create(name="Rolled back", slug="rolled-back")
            assert AuditEvent.objects.filter(action="test.thing.create").exists()
            raise Boom
    assert not AuditEvent.objects.filter(action="test.thing.create").exists()
    assert not Tenant.objects.filter(slug="rolled-back").exists()
    assert audit_chains_verify().ok  # the head row rolled back with the event


def test_failure_writes_an_error_event_and_reraises(tenant):
    with pytest.raises(Boom, match="Jane Doe"):
        with audited(tenant=tenant, action="test.thing.create", resource_type="x") as event:
            event.details["rows"] = 2
            Tenant.objects.create(name="Half done", slug="half-done")
            raise Boom("could not score Jane Doe, born 1980-04-01")

    assert not Tenant.objects.filter(slug="half-done").exists()  # the action rolled back
    recorded = AuditEvent.objects.get(action="test.thing.create")
    assert recorded.outcome == "error"
    assert recorded.details == {"rows": 2, "exception": "Boom"}
    stored = {f.attname: str(getattr(recorded, f.attname)) for f in AuditEvent._meta.fields}
    assert "Jane" not in canonical_json(stored)  # the message may hold personal data
    assert audit_chains_verify().ok


def test_block_can_record_a_failed_outcome(tenant):
    with audited(tenant=tenant, action="test.payment.check") as event:
        event.outcome = "failure"
    assert AuditEvent.objects.get(action="test.payment.check").outcome == "failure"


def test_a_batch_is_one_event_with_a_row_count(tenant):
    rows = [{"id": n, "income": 1000 + n} for n in range(250)]
    with audited(
        tenant=tenant, action="test.batch.score", resource_type="test.batch", model_name="risk-xgb"
    ) as event:
        event.row_count = len(rows)
        event.input_digest = input_digest(tenant=tenant, data=rows)
        event.model_revision = "r7"

    recorded = AuditEvent.objects.get()
    assert (recorded.action, recorded.row_count, recorded.model_revision) == (
        "test.batch.score",
        250,
        "r7",
    )
    assert recorded.input_digest == input_digest(tenant=tenant, data=rows)


@audited(action="test.tenant.create", resource_type="accounts.tenant")
def tenant_make(*, tenant, slug: str, fail: bool = False) -> Tenant:
    draft = current_audit_draft()
    draft.details["slug_length"] = len(slug)
    made = Tenant.objects.create(name=slug, slug=slug)
    if fail:
        raise Boom("nope")
    return made


def test_decorator_form(tenant):
    made = tenant_make(tenant=tenant, slug="decorated")
    recorded = AuditEvent.objects.get(action="test.tenant.create")
    assert (recorded.tenant_id, recorded.outcome) == (tenant.pk, "success")
    assert recorded.resource_id == str(made.pk)
    assert recorded.details == {"slug_length": 9}

    with pytest.raises(Boom):
        tenant_make(tenant=tenant, slug="broken", fail=True)
    assert not Tenant.objects.filter(slug="broken").exists()
    outcomes = list(
        AuditEvent.objects.filter(action="test.tenant.create")
        .order_by("seq")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["success", "error"]


def test_decorator_needs_the_tenant_keyword(tenant):
    with pytest.raises(TypeError):
        tenant_make(slug="no-tenant")
