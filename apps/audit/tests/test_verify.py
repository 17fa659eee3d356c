"""audit_verify: an intact log passes; each kind of tampering (done with raw SQL, triggers
disabled on PostgreSQL) is reported as the right kind of problem at the right event."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from apps.audit.hashing import event_hash
from apps.audit.models import AuditEvent, chain_key
from apps.audit.verification import (
    ALTERED,
    CHECKPOINT_FORGED,
    INSERTED,
    REMOVED,
    REORDERED,
    TRUNCATED,
    audit_chains_verify,
)

from .conftest import CHECKPOINTS, EVENTS, HEADS, insert_sql, tamper

pytestmark = pytest.mark.django_db


def verify_fails(*args) -> str:
    """Run audit_verify, expect exit status 1, return the first problem line."""
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    assert exit_info.value.code == 1
    assert "OK:" not in out.getvalue()
    first = err.getvalue().splitlines()[0]
    assert first.startswith("FAILED: ")
    return first


def test_intact_chains_verify(signed_chain):
    out = StringIO()
    call_command("audit_verify", stdout=out)  # no SystemExit
    assert out.getvalue().strip() == "OK: 3 chains, 7 events verified"


def test_verify_one_tenant(signed_chain, tenant):
    out = StringIO()
    call_command("audit_verify", "--tenant", tenant.slug, stdout=out)
    assert out.getvalue().strip() == "OK: 1 chains, 5 events verified"


def test_verification_reports_progress(signed_chain):
    calls = []
    result = audit_chains_verify(progress=lambda done, total: calls.append((done, total)))
    assert result.ok
    assert calls[-1] == (7, 7)


def test_detects_update(signed_chain, tenant):
    victim = signed_chain[2]
    tamper(
        (
            f"UPDATE {EVENTS} SET action = %s WHERE chain = %s AND seq = %s",
            ["test.innocent", chain_key(tenant.pk), 3],
        )
    )
    first = verify_fails()
    assert f"{ALTERED}: chain {chain_key(tenant.pk)} seq 3, event {victim.id}" in first


def test_detects_update_with_rehash(signed_chain, tenant):
    """The attacker rewrites the event and its hash: its successor's link betrays it."""
    victim = AuditEvent.objects.get(pk=signed_chain[2].pk)
    victim.details = {"n": 99}
    tamper(
        (
            f"UPDATE {EVENTS} SET details = %s, hash = %s WHERE chain = %s AND seq = %s",
            ['{"n": 99}', event_hash(victim), chain_key(tenant.pk), 3],
        )
    )
    first = verify_fails()
    assert f"seq 4, event {signed_chain[3].id}" in first
    assert f"seq 3 (id {victim.id}) was rewritten" in first


def test_detects_delete(signed_chain, tenant):
    removed = signed_chain[2]
    tamper((f"DELETE FROM {EVENTS} WHERE chain = %s AND seq = %s", [chain_key(tenant.pk), 3]))
    first = verify_fails()
    assert f"{REMOVED}: chain {chain_key(tenant.pk)} seq 3" in first
    assert removed.hash in first  # the successor still links to the removed event's hash
    assert str(signed_chain[3].id) in first


def test_detects_insertion(signed_chain, tenant):
    """A forged event with a correctly computed hash, linked to seq 2, slid in at seq 3 with
    the following events moved up one place."""
    key = chain_key(tenant.pk)
    before = signed_chain[1]
    forged = AuditEvent(
        id=uuid.uuid4(),
        chain=key,
        seq=3,
        tenant=tenant,
        created_at=before.created_at,
        actor_kind="user",
        actor_id="1",
        action="test.forged",
        prev_hash=before.hash,
    )
    forged.hash = event_hash(forged)
    shifts = [
        (f"UPDATE {EVENTS} SET seq = %s WHERE chain = %s AND seq = %s", [seq + 1, key, seq])
        for seq in (5, 4, 3)
    ]
    tamper(*shifts, insert_sql(forged))
    first = verify_fails()
    assert f"{INSERTED}: chain {key} seq 3, event {forged.id}" in first


def test_detects_reordering(signed_chain, tenant):
    key = chain_key(tenant.pk)
    second, third = signed_chain[1], signed_chain[2]
    swap = f"UPDATE {EVENTS} SET seq = %s WHERE chain = %s AND seq = %s"
    tamper((swap, [999, key, 2]), (swap, [2, key, 3]), (swap, [3, key, 999]))
    first = verify_fails()
    assert f"{REORDERED}: chain {key} seq 2, event {third.id}" in first
    assert f"links to seq 3 (id {second.id})" in first


def test_detects_truncation_by_head_row(signed_chain, tenant):
    key = chain_key(tenant.pk)
    newest = signed_chain[4]
    tamper((f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s", [key, 3]))
    first = verify_fails()
    assert f"{TRUNCATED}: chain {key} seq 5" in first
    assert "ends at seq 3" in first
    assert newest.hash in first


def test_detects_truncation_by_signed_checkpoint(signed_chain, tenant):
    """The attacker also rewrites the head row: only the signed checkpoint still knows."""
    key = chain_key(tenant.pk)
    newest, new_end = signed_chain[4], signed_chain[2]
    tamper(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s", [key, 3]),
        (
            f"UPDATE {HEADS} SET last_seq = %s, last_hash = %s WHERE chain = %s",
            [3, new_end.hash, key],
        ),
    )
    result = audit_chains_verify()
    assert [problem.kind for problem in result.problems] == [TRUNCATED]
    first = verify_fails()
    assert f"{TRUNCATED}: chain {key} seq 5" in first
    assert "before signed checkpoint" in first
    assert newest.hash in first


def test_detects_forged_checkpoint_signature(signed_chain, tenant):
    key = chain_key(tenant.pk)
    tamper((f"UPDATE {CHECKPOINTS} SET signature = %s WHERE chain = %s", ["0" * 64, key]))
    first = verify_fails()
    assert f"{CHECKPOINT_FORGED}: chain {key} seq 5" in first


def test_checkpoint_moved_to_shortened_chain_is_forged(signed_chain, tenant):
    """Truncate, fix the head row and move the checkpoint back: its signature no longer holds."""
    key = chain_key(tenant.pk)
    new_end = signed_chain[2]
    tamper(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s", [key, 3]),
        (
            f"UPDATE {HEADS} SET last_seq = %s, last_hash = %s WHERE chain = %s",
            [3, new_end.hash, key],
        ),
        (
            f"UPDATE {CHECKPOINTS} SET seq = %s, head_hash = %s WHERE chain = %s",
            [3, new_end.hash, key],
        ),
    )
    first = verify_fails()
    assert f"{CHECKPOINT_FORGED}: chain {key} seq 3" in first


def test_tampering_in_one_tenant_does_not_flag_another(signed_chain, tenant, other_tenant):
    tamper(
        (
            f"UPDATE {EVENTS} SET action = %s WHERE chain = %s AND seq = %s",
            ["x", chain_key(tenant.pk), 1],
        )
    )
    out = StringIO()
    call_command("audit_verify", "--tenant", other_tenant.slug, stdout=out)
    assert out.getvalue().strip() == "OK: 1 chains, 1 events verified"
    verify_fails("--tenant", tenant.slug)


def test_events_appended_during_verification_are_not_tampering(signed_chain, tenant, monkeypatch):
    """A writer appends after the walk began: not a truncation, not a head mismatch."""
    from apps.audit import verification
    from apps.audit.services import audit_event_record

    original = verification._ChainVerifier.check_head

    def append_then_check(self):
        audit_event_record(tenant=tenant, action="test.meanwhile")
        original(self)

    monkeypatch.setattr(verification._ChainVerifier, "check_head", append_then_check)
    result = audit_chains_verify()
    assert result.ok, result.problems


def test_detects_events_appended_behind_the_heads_back(signed_chain, tenant):
    key = chain_key(tenant.pk)
    newest = signed_chain[4]
    forged = AuditEvent(
        id=uuid.uuid4(),
        chain=key,
        seq=6,
        tenant=tenant,
        created_at=newest.created_at,
        action="test.forged",
        prev_hash=newest.hash,
    )
    forged.hash = event_hash(forged)
    tamper(insert_sql(forged))
    first = verify_fails()
    assert f"head_mismatch: chain {key} seq 6" in first
    assert str(forged.id) in first
