"""Monitoring: PSI on known shifted data, adversarial validation finding a planted drifted
feature, findings stored with alert states, on demand (job) and scheduled (beat task)."""

from __future__ import annotations

import numpy as np
import pytest
from django.conf import settings

from apps.financial_risk.engine import monitoring as drift
from apps.financial_risk.models import Alert, FindingKind, MonitoringFinding
from apps.financial_risk.services import decision_create, monitoring_run
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.financial_risk.tasks import risk_monitoring_scheduled_task
from apps.jobs.models import Job

from .factories import tiny_rows


def test_psi_on_known_shifted_data():
    rng = np.random.default_rng(0)
    reference = drift.reference_numeric(rng.normal(0, 1, 20_000))
    same = drift.psi(
        reference["expected"], drift.bucket_shares(rng.normal(0, 1, 20_000), reference)
    )
    small = drift.psi(
        reference["expected"], drift.bucket_shares(rng.normal(0.4, 1, 20_000), reference)
    )
    large = drift.psi(
        reference["expected"], drift.bucket_shares(rng.normal(1.0, 1, 20_000), reference)
    )
    assert same < 0.01 and drift.psi_alert(same) == "ok"
    assert 0.1 <= small < 0.25 and drift.psi_alert(small) == "warning"
    assert large >= 0.25 and drift.psi_alert(large) == "alert"
    # The textbook value: deciles, all of one bucket's mass moved into the next one.
    expected = np.full(10, 0.1)
    actual = expected.copy()
    actual[0], actual[1] = drift.EPSILON, 0.2 - drift.EPSILON
    assert drift.psi(expected, actual) == pytest.approx(
        (drift.EPSILON - 0.1) * np.log(drift.EPSILON / 0.1)
        + (0.1 - drift.EPSILON) * np.log((0.2 - drift.EPSILON) / 0.1)
    )


def test_categorical_psi_counts_new_categories_as_other():
    reference = drift.reference_categorical(np.array(["a"] * 50 + ["b"] * 50, dtype=object))
    shares = drift.bucket_shares(np.array(["a", "c", "c", None], dtype=object), reference)
    assert shares.tolist() == [0.25, 0.0, 0.75]  # a, b, (other: c and missing)


def test_adversarial_validation_finds_the_planted_feature():
    rng = np.random.default_rng(1)
    training = rng.normal(0, 1, (600, 4))
    recent = rng.normal(0, 1, (600, 4))
    recent[:, 2] += 1.5  # the planted drift
    grouping = np.eye(4)
    result = drift.adversarial_validation(training, recent, grouping, ["a", "b", "c", "d"])
    assert result["auc"] > 0.75
    assert result["top_features"][0]["feature"] == "c"
    quiet = drift.adversarial_validation(
        training, rng.normal(0, 1, (600, 4)), grouping, list("abcd")
    )
    assert quiet["auc"] < 0.6


@pytest.mark.django_db
def test_monitoring_run_flags_the_drifted_feature(
    tenant, champion, make_api_client, django_capture_on_commit_callbacks
):
    # Recent traffic: the same applicants except that debt doubled, beyond the training range:
    # the tenant refers such applicants (scored and stored) rather than refusing them.
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    for row in tiny_rows(n=120, seed=9):
        decision_create(
            tenant=tenant,
            applicant={
                "income": row["income"],
                "debt": row["debt"] * 2 + 3000,
                "region": row["region"],
            },
        )
    summary = monitoring_run(tenant=tenant, model=champion)
    findings = {
        (f.kind, f.feature): f for f in MonitoringFinding.objects.filter(run_id=summary["run_id"])
    }
    debt = findings[(FindingKind.PSI_FEATURE, "debt")]
    assert debt.alert == Alert.ALERT and debt.value >= 0.25
    # Undrifted columns: 120 recent rows against 240 training rows leave sampling noise, but
    # nowhere near the drifted column.
    for column in ("region", "income"):
        undrifted = findings[(FindingKind.PSI_FEATURE, column)]
        assert undrifted.alert != Alert.ALERT and undrifted.value < debt.value / 3
    assert findings[(FindingKind.PSI_SCORE, "probability_of_default")].value > 0.1
    adversarial = next(f for (kind, _), f in findings.items() if kind == FindingKind.ADVERSARIAL)
    assert adversarial.value > 0.75 and adversarial.details["top_features"][0]["feature"] == "debt"
    assert summary["alerts"]["alert"] >= 2

    # On demand over the API (a job), and shown in the findings list filtered by alert.
    client = make_api_client(tenant, "analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/risk/models/{champion.pk}/monitor/", {}, format="json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded" and job.result["findings"] == len(findings)
    alerts = client.get("/api/v1/risk/findings/", {"alert": "alert", "kind": "psi_feature"}).json()
    assert {f["feature"] for f in alerts["results"]} == {"debt"}

    # The celery-beat entry runs every live model.
    assert (
        settings.CELERY_BEAT_SCHEDULE["risk-monitoring"]["task"]
        == risk_monitoring_scheduled_task.name
    )
    assert risk_monitoring_scheduled_task() == {"models": 1}


@pytest.mark.django_db
def test_too_little_traffic_records_nothing(tenant, champion):
    summary = monitoring_run(tenant=tenant, model=champion)
    assert "skipped" in summary and not MonitoringFinding.objects.exists()
