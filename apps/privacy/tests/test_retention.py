"""Retention with frozen time: the scheduled job deletes rows past their period, in batches,
one audit event per batch with counts; rows within it are untouched."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.customer_service.models import Conversation
from apps.customer_service.tests import factories as cs
from apps.data_lifecycle.kinds import data_kinds
from apps.data_lifecycle.retention import retention_policy_set, retention_run
from apps.data_lifecycle.tasks import privacy_retention_scheduled_task
from apps.financial_risk.models import TransactionImport
from apps.financial_risk.tests import factories as risk
from apps.jobs.models import Job
from apps.notifications.alerts import alert_acknowledge, alert_raise
from apps.notifications.models import Alert

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def _conversations_at(tenant, when, n):
    with time_machine.travel(when, tick=False):
        return [cs.conversation(tenant).pk for _ in range(n)]


def test_scheduled_job_deletes_only_rows_past_their_period(
    tenant, other_tenant, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_RETENTION_BATCH = 2
    retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=30)
    old = _conversations_at(tenant, NOW - timedelta(days=31), 3)
    edge = _conversations_at(tenant, NOW - timedelta(days=29, hours=23), 1)
    recent = _conversations_at(tenant, NOW - timedelta(days=1), 2)
    # The other tenant keeps the platform default (two years): its 31-day-old rows stay.
    others = _conversations_at(other_tenant, NOW - timedelta(days=31), 2)

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        privacy_retention_scheduled_task.apply()

    left = set(Conversation.objects.values_list("pk", flat=True))
    assert not left & set(old)
    assert set(edge + recent + others) <= left
    events = AuditEvent.objects.filter(tenant=tenant, action="privacy.retention.delete")
    assert sorted(events.values_list("row_count", flat=True)) == [1, 2]  # batches of 2
    jobs = Job.objects.filter(kind="privacy.retention")
    assert jobs.count() == 2 and set(jobs.values_list("state", flat=True)) == {"succeeded"}


def test_policy_validation_names_the_field(tenant):
    with pytest.raises(ValidationError, match="data_kind"):
        retention_policy_set(tenant=tenant, data_kind="nope", days=3)
    with pytest.raises(ValidationError, match="days"):
        retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=0)


def test_alerts_and_transaction_imports_follow_their_kinds(tenant, settings):
    settings.PRIVACY_RETENTION_DAYS = {
        "notifications.alerts": 30,
        "financial_risk.transactions": 30,
    }
    old = NOW - timedelta(days=31)
    with time_machine.travel(old, tick=False):
        seen = alert_raise(
            tenant=tenant, source="jobs.failed", severity="warning", title="t", dedup_key="a"
        )
        alert_acknowledge(tenant=tenant, alert=seen, label="ops")
        still_open = alert_raise(
            tenant=tenant, source="jobs.failed", severity="warning", title="t", dedup_key="b"
        )
        finished = risk.transaction_import(tenant)
        TransactionImport.objects.filter(pk=finished.pk).update(data=b"", finished_at=old)
        pending = risk.transaction_import(tenant)  # its job has not run: it stays
    recent = risk.transaction_import(tenant)
    TransactionImport.objects.filter(pk=recent.pk).update(data=b"", finished_at=NOW)
    with time_machine.travel(NOW, tick=False):
        counts = retention_run(tenants=[tenant])
    assert set(Alert.objects.values_list("pk", flat=True)) == {still_open.pk}
    left = set(TransactionImport.objects.values_list("pk", flat=True))
    assert left == {pending.pk, recent.pk}
    assert counts["notifications.alerts"] == 1 and counts["financial_risk.transactions"] == 1

    # Both are in the tenant export.
    tables = {table for table, _ in data_kinds()["notifications.alerts"].export(tenant)}
    tables |= {table for table, _ in data_kinds()["financial_risk.transactions"].export(tenant)}
    assert {"notifications_alert", "financial_risk_transactionimport"} <= tables


def test_finished_jobs_past_their_period_go_and_running_ones_stay(tenant, settings):
    settings.PRIVACY_RETENTION_DAYS = {"jobs.results": 30}

    def job(state, finished_at):
        return Job.objects.create(
            tenant=tenant, kind="k", task_name="t", state=state, finished_at=finished_at
        ).pk

    old_done = job("succeeded", NOW - timedelta(days=31))
    old_failed = job("failed", NOW - timedelta(days=40))
    edge = job("succeeded", NOW - timedelta(days=29, hours=23))
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        running = job("running", None)  # started long ago, still running: never expired
    with time_machine.travel(NOW, tick=False):
        counts = retention_run(tenants=[tenant])
    assert counts["jobs.results"] == 2
    left = set(Job.objects.filter(tenant=tenant).values_list("pk", flat=True))
    assert {old_done, old_failed}.isdisjoint(left) and {edge, running} <= left


def test_the_command_shows_sets_and_clears_a_tenants_policy_naming_bad_fields(tenant):
    def run(*args) -> str:
        out = StringIO()
        call_command("privacy_retention", "--tenant", tenant.slug, *args, stdout=out)
        return out.getvalue()

    assert "customer_service.conversations: 730 days (default)" in run()
    shown = run("--kind", "customer_service.conversations", "--days", "45")
    assert "customer_service.conversations: 45 days (policy)" in shown
    assert "medical_records.identities: kept until erased (default)" in shown
    with pytest.raises(CommandError, match="days: the audit log is kept longest"):
        run("--kind", "audit.log", "--days", "10")
    with pytest.raises(CommandError, match="data_kind: unknown data kind"):
        run("--clear", "nope")
    with pytest.raises(CommandError, match="kind, days"):
        run("--kind", "customer_service.conversations")
    assert "customer_service.conversations: 730 days (default)" in run(
        "--clear", "customer_service.conversations"
    )
    actions = AuditEvent.objects.filter(tenant=tenant, action__startswith="privacy.retention.")
    assert sorted(actions.values_list("action", flat=True)) == [
        "privacy.retention.clear",
        "privacy.retention.set",
    ]
