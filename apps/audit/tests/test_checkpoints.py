"""Signed checkpoints: the command and the beat task sign each chain's head; signatures verify."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.audit.models import AuditCheckpoint, chain_key
from apps.audit.services import audit_event_record
from apps.audit.signing import checkpoint_signature_valid
from apps.audit.tasks import audit_checkpoint_task
from apps.audit.verification import CHECKPOINT_FORGED, audit_chains_verify

from .conftest import CHECKPOINTS, EVENTS, tamper

pytestmark = pytest.mark.django_db


def test_command_signs_each_chain_head_once(tenant, other_tenant):
    audit_event_record(tenant=tenant, action="test.a")
    last = audit_event_record(tenant=tenant, action="test.b")
    audit_event_record(tenant=other_tenant, action="test.c")

    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "Signed 2 checkpoint(s)." in out.getvalue()
    checkpoint = AuditCheckpoint.objects.get(chain=chain_key(tenant.pk))
    assert (checkpoint.seq, checkpoint.head_hash, checkpoint.tenant_id) == (2, last.hash, tenant.pk)
    assert checkpoint_signature_valid(checkpoint)

    call_command("audit_checkpoint", stdout=(out := StringIO()))
    assert "Signed 0 checkpoint(s)." in out.getvalue()  # nothing moved: nothing new
    audit_event_record(tenant=tenant, action="test.d")
    call_command("audit_checkpoint", "--tenant", tenant.slug, stdout=(out := StringIO()))
    assert "Signed 1 checkpoint(s)." in out.getvalue()
    assert AuditCheckpoint.objects.filter(chain=chain_key(tenant.pk)).count() == 2


def test_task_signs_checkpoints(tenant):
    audit_event_record(tenant=tenant, action="test.a")
    audit_event_record(tenant=None, action="http.get.denied", outcome="denied")
    assert audit_checkpoint_task.apply().get() == {"checkpoints": 2}
    assert all(checkpoint_signature_valid(c) for c in AuditCheckpoint.objects.all())
    assert audit_checkpoint_task.apply().get() == {"checkpoints": 0}


def test_signature_needs_the_server_key(tenant, settings):
    audit_event_record(tenant=tenant, action="test.a")
    call_command("audit_checkpoint", stdout=StringIO())
    checkpoint = AuditCheckpoint.objects.get()
    settings.AUDIT_SIGNING_KEY = "someone-elses-key"
    assert not checkpoint_signature_valid(checkpoint)


def test_tampered_signature_is_detected(tenant):
    audit_event_record(tenant=tenant, action="test.a")
    call_command("audit_checkpoint", stdout=StringIO())
    tamper((f"UPDATE {CHECKPOINTS} SET signature = %s", ["f" * 64]))
    result = audit_chains_verify()
    assert [p.kind for p in result.problems] == [CHECKPOINT_FORGED]


def test_head_that_disagrees_with_the_chain_is_not_signed(tenant):
    """Signing a head whose newest event is gone would bless the truncation."""
    audit_event_record(tenant=tenant, action="test.a")
    audit_event_record(tenant=tenant, action="test.b")
    tamper((f"DELETE FROM {EVENTS} WHERE chain = %s AND seq = %s", [chain_key(tenant.pk), 2]))
    call_command("audit_checkpoint", stdout=(out := StringIO()))
    assert "Signed 0 checkpoint(s)." in out.getvalue()
    assert not AuditCheckpoint.objects.exists()
