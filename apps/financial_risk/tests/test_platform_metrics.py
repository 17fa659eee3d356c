"""The risk vertical's drift findings on the web's /metrics (``platform_risk_drift_alerts_open``,
contract 5): the latest monitoring run of each live model counts, over every tenant; an older
run's alerts and a draft model's do not. The gauge's source is named by dotted path in
OPERATIONS_METRIC_SOURCES (apps/operations/metrics.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.financial_risk.models import Alert, FindingKind, ModelState, MonitoringFinding
from apps.financial_risk.tests.factories import tiny_model
from apps.operations.tests.test_metrics import scrape


def findings(model, run_id, alerts, *, age=timedelta(0)):
    rows = MonitoringFinding.objects.bulk_create(
        MonitoringFinding(
            tenant=model.tenant,
            model=model,
            run_id=run_id,
            kind=FindingKind.PSI_FEATURE,
            feature=f"feature{i}",
            value=0.3,
            alert=alert,
        )
        for i, alert in enumerate(alerts)
    )
    MonitoringFinding.objects.filter(pk__in=[r.pk for r in rows]).update(
        created_at=timezone.now() - age
    )


@pytest.mark.django_db
def test_drift_gauge_counts_the_latest_run_of_live_models(client, tenant, other_tenant):
    champion = tiny_model(tenant, state=ModelState.CHAMPION)
    # An older run's alert, which the latest run no longer finds: closed.
    findings(champion, uuid.uuid4(), [Alert.ALERT, Alert.ALERT], age=timedelta(days=1))
    findings(champion, uuid.uuid4(), [Alert.WARNING, Alert.OK, Alert.ALERT, Alert.OK])
    # Another tenant's challenger counts too (operators see every tenant); a draft does not.
    challenger = tiny_model(other_tenant, state=ModelState.CHALLENGER, name="other")
    findings(challenger, uuid.uuid4(), [Alert.ALERT])
    draft = tiny_model(other_tenant, name="draft")
    findings(draft, uuid.uuid4(), [Alert.ALERT, Alert.ALERT])

    assert scrape(client)[("platform_risk_drift_alerts_open", ())] == 3
