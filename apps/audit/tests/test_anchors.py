"""Anchors outside the database: written on every checkpoint, held against the database by
audit_verify; the three insider attacks of issue 19 (done with raw SQL, triggers off, head and
checkpoints fixed up) fail verification naming the chain; the store's own continuity."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.audit.anchors.base import safe_chain_name
from apps.audit.anchors.store import anchor_store
from apps.audit.checks import anchors_configured, anchors_configured_for_deploy
from apps.audit.hashing import event_hash
from apps.audit.models import AuditChainHead, AuditEvent, chain_key
from apps.audit.services import audit_checkpoint_create, audit_event_record
from apps.audit.signing import new_key_pair
from apps.audit.tasks import audit_anchor_task
from apps.audit.verification import audit_chains_verify

from .conftest import CHECKPOINTS, EVENTS, HEADS, tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchors(settings, tmp_path):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    return tmp_path / "anchors"


def history(tenant, n):
    for i in range(n):
        audit_event_record(tenant=tenant, action="test.event", resource_id=str(i))


def verify(*args) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_info:
        return exit_info.code, err.getvalue()
    return 0, out.getvalue()


def test_checkpoint_writes_signed_anchor_and_manifest(anchors, tenant):
    history(tenant, 3)
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    files = list((anchors / "chains" / safe_chain_name(chain)).glob("*.jsonl"))
    assert len(files) == 1 and files[0].name == f"{timezone.now().date().isoformat()}.jsonl"
    record = json.loads(files[0].read_text().splitlines()[0])
    assert record["seq"] == 3 and record["key_id"].startswith("ed25519-")
    manifest = [json.loads(line) for line in (anchors / "manifest.jsonl").read_text().splitlines()]
    assert [entry["chain"] for entry in manifest] == [chain]
    history(tenant, 2)
    audit_checkpoint_create()
    lines = files[0].read_text().splitlines()
    assert lines[0] == json.dumps(record, sort_keys=True, separators=(",", ":"))  # not rewritten
    assert len(lines) == 2
    assert verify() == (0, "OK: 1 chains, 5 events verified\n")
    code, out = verify("--anchors-only")
    assert code == 0 and "1 chains, 3 records verified" in out


def test_tail_truncation_fails_naming_chain_and_last_anchored_seq(anchors, tenant):
    history(tenant, 20)
    audit_checkpoint_create()
    history(tenant, 10)
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    assert verify("--tenant", tenant.slug)[0] == 0
    keep = AuditEvent.objects.get(chain=chain, seq=15)
    tamper(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s", [chain, 15]),
        (
            f"UPDATE {HEADS} SET last_seq = %s, last_hash = %s WHERE chain = %s",
            [15, keep.hash, chain],
        ),
        (f"DELETE FROM {CHECKPOINTS} WHERE chain = %s AND seq > %s", [chain, 15]),
    )
    code, err = verify("--tenant", tenant.slug)
    assert code == 1
    assert f"truncated: chain {chain}" in err and "anchor store recorded seq 30" in err
    assert verify()[0] == 1


def test_whole_tenant_erasure_is_detected(anchors, tenant, other_tenant):
    history(tenant, 12)
    history(other_tenant, 2)
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    tamper(*[(f"DELETE FROM {t} WHERE chain = %s", [chain]) for t in (EVENTS, HEADS, CHECKPOINTS)])
    for args in (("--tenant", tenant.slug), ()):
        code, err = verify(*args)
        assert code == 1 and f"chain_erased: chain {chain}" in err and "seq 12" in err
    assert audit_chains_verify(tenant=other_tenant).ok


def test_platform_wide_truncate_is_detected(anchors, tenant, other_tenant):
    history(tenant, 5)
    history(other_tenant, 5)
    audit_checkpoint_create()
    tamper(*[(f"DELETE FROM {t}", []) for t in (EVENTS, HEADS, CHECKPOINTS)])
    code, err = verify()
    assert code == 1
    assert chain_key(tenant.pk) in err and chain_key(other_tenant.pk) in err


def test_history_rewritten_and_rehashed_diverges_from_the_anchors(anchors, tenant):
    """Every event from seq 2 rewritten and re-hashed, the head moved to the new hash and the
    checkpoints that disagree dropped: the database is consistent with itself, not with the
    anchors outside it."""
    history(tenant, 4)
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    events = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    prev, statements = events[0].hash, []
    for event in events[1:]:
        event.details, event.prev_hash = {"rewritten": True}, prev
        event.hash = prev = event_hash(event)
        statements.append(
            (
                f"UPDATE {EVENTS} SET details = %s, prev_hash = %s, hash = %s "
                "WHERE chain = %s AND seq = %s",
                ['{"rewritten": true}', event.prev_hash, event.hash, chain, event.seq],
            )
        )
    statements.append((f"UPDATE {HEADS} SET last_hash = %s WHERE chain = %s", [prev, chain]))
    statements.append((f"DELETE FROM {CHECKPOINTS} WHERE chain = %s", [chain]))
    tamper(*statements)
    code, err = verify("--tenant", tenant.slug)
    assert code == 1 and f"anchor_mismatch: chain {chain}" in err and "seq 4" in err


def test_unanchored_period_is_detected(anchors, tenant, settings):
    history(tenant, 2)
    audit_checkpoint_create()
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        history(tenant, 2)  # written, but never checkpointed nor anchored
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        code, err = verify()
    assert code == 1 and "unanchored" in err and "last anchored seq 2" in err


def test_rewritten_or_removed_anchor_records_are_detected(anchors, tenant):
    for _ in range(3):
        history(tenant, 2)
        audit_checkpoint_create()
    path = next((anchors / "chains").glob("*/*.jsonl"))
    lines = path.read_text().splitlines()
    altered = json.loads(lines[1])
    altered["head_hash"] = "0" * 64
    path.write_text("\n".join([lines[0], json.dumps(altered), lines[2]]) + "\n")
    code, err = verify("--anchors-only")
    assert code == 1 and "anchor_forged" in err
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # the middle record removed
    code, err = verify("--anchors-only")
    assert code == 1 and "anchor_broken" in err


def test_key_rotation_keeps_old_anchors_verifiable(anchors, tenant, settings):
    old_id, old_seed, old_public = new_key_pair()
    new_id, new_seed, _ = new_key_pair()
    settings.AUDIT_ED25519_KEYS = [f"{old_id}:{old_seed}"]
    history(tenant, 2)
    audit_checkpoint_create()
    settings.AUDIT_ED25519_KEYS = [f"{new_id}:{new_seed}"]
    settings.AUDIT_ED25519_RETIRED_PUBLIC_KEYS = [f"{old_id}:{old_public}"]
    history(tenant, 2)
    audit_checkpoint_create()
    assert audit_chains_verify().ok
    settings.AUDIT_ED25519_RETIRED_PUBLIC_KEYS = []  # the old key forgotten: nothing vouches
    problems = {p.kind for p in audit_chains_verify().problems}
    assert {"checkpoint_forged", "anchor_forged"} <= problems


def test_inline_anchor_every_n_events(
    anchors, tenant, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANCHOR_EVERY_EVENTS = 3
    settings.AUDIT_ANCHOR_SECONDS = 3600
    for _ in range(7):  # each event its own committed transaction
        with django_capture_on_commit_callbacks(execute=True):
            history(tenant, 1)
    seqs = [r.seq for r in anchor_store().records(chain_key(tenant.pk))]
    assert seqs == [1, 4, 7]


def test_scheduled_task_and_command_anchor_what_the_store_missed(anchors, tenant, settings):
    """celery-beat's audit-anchor task (and ``audit_anchor`` on demand) checkpoints chains that
    grew and anchors checkpoints signed while the store was not reachable or not configured."""
    settings.AUDIT_ANCHOR_URL = ""
    history(tenant, 3)
    audit_checkpoint_create()  # signed, but anchoring was off: nothing outside the database
    settings.AUDIT_ANCHOR_URL = f"file://{anchors}"
    chain = chain_key(tenant.pk)
    assert anchor_store().records(chain) == []
    assert audit_anchor_task.apply().get() == {"checkpoints": 0, "anchored_late": 1}
    assert [r.seq for r in anchor_store().records(chain)] == [3]
    history(tenant, 2)
    out = StringIO()
    call_command("audit_anchor", stdout=out)
    assert "Signed 1 checkpoint(s)" in out.getvalue()
    assert [r.seq for r in anchor_store().records(chain)] == [3, 5]
    assert verify()[0] == 0


def test_restore_recorded_makes_an_older_backup_verify(anchors, tenant):
    history(tenant, 6)
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    keep = AuditEvent.objects.get(chain=chain, seq=3)
    # Restoring a backup taken at seq 3 looks exactly like a tail truncation...
    tamper(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > 3", [chain]),
        (f"UPDATE {HEADS} SET last_seq = 3, last_hash = %s WHERE chain = %s", [keep.hash, chain]),
        (f"DELETE FROM {CHECKPOINTS} WHERE chain = %s AND seq > 3", [chain]),
    )
    assert verify()[0] == 1
    # ...until the operator records it: signed, anchored, audited.
    call_command("audit_restore_record", note="drill: backup of seq 3", stdout=StringIO())
    assert verify()[0] == 0
    assert AuditEvent.objects.filter(action="audit.restore.record").count() == 1
    history(tenant, 2)
    audit_checkpoint_create()
    assert verify()[0] == 0
    assert AuditChainHead.objects.get(chain=chain).last_seq == 5


def test_deploy_check_requires_anchor_url(settings):
    settings.AUDIT_ANCHOR_URL = ""
    assert [e.id for e in anchors_configured(None)] == ["audit.W001"]  # warns at start
    assert [e.id for e in anchors_configured_for_deploy(None)] == ["audit.E001"]
    settings.AUDIT_ANCHOR_URL = "file:///var/lib/anchors"
    assert anchors_configured_for_deploy(None) == [] == anchors_configured(None)


def test_check_deploy_fails_in_production_without_anchor_url():
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "PATH": "/usr/bin:/bin",
    }
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0 and "audit.E001" in run.stderr
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security"],
        cwd=root,
        env={**env, "AUDIT_ANCHOR_URL": "file:///var/lib/anchors"},
        capture_output=True,
        text=True,
    )
    assert "audit.E001" not in run.stderr
