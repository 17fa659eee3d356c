"""The audit log's own retention (frozen time): whole anchored periods past the tenant's
retention are deleted, the deletion signed, anchored and audited; ``audit_verify`` accepts it,
and still reports old events deleted any other way, and a chain that does not verify is never
pruned."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Tenant
from apps.audit.anchors.records import PRUNE
from apps.audit.anchors.store import anchor_store
from apps.audit.models import AuditEvent, AuditPrune, chain_key
from apps.audit.prunes import PRUNE_FORGED
from apps.audit.services import audit_checkpoint_create, audit_event_record
from apps.audit.services.retention import AuditRetentionRefused, audit_prune_chain
from apps.audit.verification import audit_chains_verify
from apps.data_lifecycle.kinds import data_kinds
from apps.data_lifecycle.retention import retention_policy_set, retention_run

from .conftest import EVENTS, tamper

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def anchors(settings, tmp_path):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"


def _period(tenant, days_ago: int, n: int) -> None:
    """``n`` events ``days_ago`` days back, checkpointed and anchored then."""
    with time_machine.travel(NOW - timedelta(days=days_ago), tick=False):
        for i in range(n):
            audit_event_record(tenant=tenant, action="test.step", resource_id=str(i))
        audit_checkpoint_create(tenant=tenant)


def _history(tenant):
    _period(tenant, 400, 5)  # seq 1..5: past a year
    _period(tenant, 200, 4)  # seq 6..9
    _period(tenant, 1, 3)  # seq 10..12


def _verify_output() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_retention_deletes_whole_anchored_periods_and_verify_accepts_it(anchors, settings, tenant):
    _history(tenant)
    _short_defaults(settings, 30)  # the audit log is kept longest: the others expire first
    retention_policy_set(tenant=tenant, data_kind="audit.log", days=365)
    with time_machine.travel(NOW, tick=False):
        counts = retention_run(tenants=[tenant])
    assert counts["audit.log"] == 5
    chain = chain_key(tenant.pk)
    seqs = list(AuditEvent.objects.filter(chain=chain).values_list("seq", flat=True))
    assert min(seqs) == 6  # the 200-day-old period stays: within a year
    prune = AuditPrune.objects.get(chain=chain)
    assert (prune.seq, prune.deleted) == (5, 5)
    pruned = [r for r in anchor_store().records(chain) if r.kind == PRUNE]
    assert [(r.seq, r.head_hash) for r in pruned] == [(5, prune.head_hash)]  # anchored
    event = AuditEvent.objects.get(chain=chain, action="audit.retention.prune")
    assert event.row_count == 5 and event.details["through_seq"] == 5
    audit_checkpoint_create()
    assert _verify_output().startswith("OK:")

    # Deleting the next old period without the log's own retention is still an attack.
    tamper((f"DELETE FROM {EVENTS} WHERE chain = %s AND seq <= %s", [chain, 7]))
    result = audit_chains_verify(tenant=tenant)
    assert not result.ok
    assert {p.kind for p in result.problems} >= {"removed"}
    with pytest.raises(SystemExit):
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())


def test_old_events_deleted_without_retention_are_caught(anchors, tenant):
    _history(tenant)
    chain = chain_key(tenant.pk)
    tamper((f"DELETE FROM {EVENTS} WHERE chain = %s AND seq <= %s", [chain, 5]))
    result = audit_chains_verify(tenant=tenant)
    assert [p.kind for p in result.problems][:1] == ["removed"]
    assert PRUNE_FORGED not in {p.kind for p in result.problems}


def test_a_chain_that_does_not_verify_is_never_pruned(anchors, tenant):
    _history(tenant)
    chain = chain_key(tenant.pk)
    tamper((f"UPDATE {EVENTS} SET details = %s WHERE chain = %s AND seq = 3", ['{"x": 1}', chain]))
    with pytest.raises(AuditRetentionRefused, match="does not verify"):
        audit_prune_chain(chain, before=NOW - timedelta(days=365))
    assert AuditEvent.objects.filter(chain=chain).count() == 12
    assert not AuditPrune.objects.exists()


def test_without_an_anchor_store_nothing_is_pruned(tenant):
    _history(tenant)
    with pytest.raises(AuditRetentionRefused, match="AUDIT_ANCHOR_URL"):
        audit_prune_chain(chain_key(tenant.pk), before=NOW)
    assert AuditEvent.objects.filter(chain=chain_key(tenant.pk), seq=1).exists()


@pytest.mark.postgres  # the append-only triggers are PostgreSQL's (audit migration 0002)
def test_a_plain_delete_without_the_retention_flag_is_refused(tenant):
    _history(tenant)
    with pytest.raises(Exception, match="append-only"):
        tamper_free_delete(chain_key(tenant.pk))


def tamper_free_delete(chain: str) -> None:
    """A plain DELETE (triggers on, no retention flag) is refused by the database."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {EVENTS} WHERE chain = %s", [chain])


def _short_defaults(settings, days: int) -> None:
    """Every kind but the audit log expires after ``days`` (platform defaults in settings)."""
    settings.PRIVACY_RETENTION_DAYS = {name: days for name in data_kinds() if name != "audit.log"}


def test_the_audit_log_follows_its_setting_and_is_kept_longest(anchors, settings, tenant):
    _history(tenant)
    chain = chain_key(tenant.pk)
    settings.AUDIT_RETENTION_DAYS = 300  # the platform default in settings (not 10 years)
    _short_defaults(settings, 30)
    # A tenant keeping conversations 500 days keeps its audit log at least as long.
    retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=500)
    with time_machine.travel(NOW, tick=False):
        counts = retention_run(tenants=[tenant])
    assert counts["audit.log"] == 0
    assert AuditEvent.objects.filter(chain=chain, seq=1).exists()
    with pytest.raises(ValidationError, match="days") as refused:
        retention_policy_set(tenant=tenant, data_kind="audit.log", days=100)
    assert "customer_service.conversations" in str(refused.value)
    assert not AuditPrune.objects.exists()

    # Back to 30 days: the setting's 300 days apply, the 400-day-old period goes.
    retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=30)
    with time_machine.travel(NOW, tick=False):
        counts = retention_run(tenants=[tenant])
    assert counts["audit.log"] == 5
    assert AuditPrune.objects.get(chain=chain).seq == 5


def test_an_offboarded_tenants_log_is_pruned_by_the_run_over_every_tenant(
    anchors, settings, tenant
):
    _history(tenant)
    settings.AUDIT_RETENTION_DAYS = 365
    _short_defaults(settings, 30)
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)  # its rows erased, log kept
    with time_machine.travel(NOW, tick=False):
        assert retention_run(tenants=[]) == {}  # a run over named tenants leaves it
        counts = retention_run()
    assert counts["audit.log"] == 5
    prune = AuditPrune.objects.get(chain=chain_key(tenant.pk))
    assert prune.seq == 5
    audit_checkpoint_create()
    audit_checkpoint_create(tenant=tenant)
    assert _verify_output().startswith("OK:")
