"""The platform gauges of the web's /metrics (contract 5), read from the database at scrape time
through the sources named in OPERATIONS_METRIC_SOURCES: audit chains whose latest verification
failed; a failing source is reported, not a 500; Celery workers drop the collector. The drift
gauge, whose source is the risk vertical's, is tested in
apps/financial_risk/tests/test_platform_metrics.py (this platform app's tests import no
vertical either)."""

from __future__ import annotations

import pytest
from celery.signals import worker_init
from django.db import connection, transaction
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from apps.audit.models import AuditEvent, chain_key
from apps.audit.services import audit_event_record
from apps.audit_surface.verifications import audit_verification_start
from apps.operations import metrics

EVENTS = AuditEvent._meta.db_table


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def set_action(tenant, seq: int, action: str) -> None:
    """Rewrite one stored event as a DBA-level attacker would (triggers off on PostgreSQL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            f"UPDATE {EVENTS} SET action = %s WHERE chain = %s AND seq = %s",
            [action, chain_key(tenant.pk), seq],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def verify(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = audit_verification_start(tenant=tenant)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_audit_gauge_counts_chains_whose_latest_verification_failed(
    client, tenant, other_tenant, django_capture_on_commit_callbacks
):
    for owner in (tenant, other_tenant):
        for i in range(3):
            audit_event_record(tenant=owner, action=f"test.step{i}")
    assert verify(tenant, django_capture_on_commit_callbacks).result["ok"] is True
    assert scrape(client)[("platform_audit_verification_failures", ())] == 0

    # acme's chain is altered: its latest verification fails.
    set_action(tenant, 2, "test.innocent")
    assert verify(tenant, django_capture_on_commit_callbacks).result["ok"] is False
    # globex failed once, was restored, and passed since: that chain no longer counts.
    set_action(other_tenant, 2, "test.innocent")
    assert verify(other_tenant, django_capture_on_commit_callbacks).result["ok"] is False
    assert scrape(client)[("platform_audit_verification_failures", ())] == 2
    set_action(other_tenant, 2, "test.step1")
    assert verify(other_tenant, django_capture_on_commit_callbacks).result["ok"] is True

    samples = scrape(client)
    assert samples[("platform_audit_verification_failures", ())] == 1
    assert (
        samples[
            ("platform_metric_source_up", (("metric", "platform_audit_verification_failures"),))
        ]
        == 1
    )


@pytest.mark.django_db
def test_a_failing_source_is_reported_and_leaves_the_rest_of_metrics(client, settings):
    settings.OPERATIONS_METRIC_SOURCES = {
        "platform_risk_drift_alerts_open": "apps.nowhere.selectors.missing",
        "platform_audit_verification_failures": ("apps.operations.panels.audit_chains_failing"),
    }
    samples = scrape(client)
    assert ("platform_risk_drift_alerts_open", ()) not in samples  # no false zero
    assert (
        samples[("platform_metric_source_up", (("metric", "platform_risk_drift_alerts_open"),))]
        == 0
    )
    assert samples[("platform_audit_verification_failures", ())] == 0
    assert any(name.startswith("django_http_") for name, _ in samples)


def test_celery_workers_drop_the_collector():
    """Worker pools serve the same default registry on their own port; the gauges stay on the
    web, where the rules expect them."""
    receivers = [ref() for _, ref in worker_init.receivers]
    assert metrics._not_in_celery_workers in receivers
    assert metrics.collector in REGISTRY._collector_to_names
    try:
        metrics._not_in_celery_workers(sender=None)
        assert metrics.collector not in REGISTRY._collector_to_names
    finally:
        metrics.register()
    assert metrics.collector in REGISTRY._collector_to_names
