"""Fraud model training as a job with time-based validation, the synthetic generator's
patterns and variants, and ``evaluate_fraud`` / ``bench_fraud --smoke`` end to end."""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from dataclasses import asdict

import numpy as np
import pytest
from django.core.management import call_command

from apps.accounts.roles import Role
from apps.financial_risk.engine.fraud_features import BASELINE_NAMES, NAMES, offline_features
from apps.financial_risk.engine.fraud_training import fit, time_split
from apps.financial_risk.evaluation.fraud_synthetic import TRAINING, VARIANTS, synthetic_stream
from apps.financial_risk.models import ModelPurpose, ModelState, RiskModel
from apps.financial_risk.services.fraud_state import tenant_state_clear
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.jobs.models import Job
from benchmarks.harness.smoke import run_smoke

from .factories import small_stream, stream_rows

SMOKE_DATABASE = "bench_fraud_smoke"
SMOKE_REDIS_DB = "8"  # not 9-15 (the suite, acceptance checks and the other smoke runs)


def test_time_split_trains_on_earlier_weeks_and_measures_the_latest():
    ts = np.arange(0, 1000, dtype=np.int64)
    split = time_split(ts)
    assert (
        ts[split.train].max() < ts[split.stop].min() <= ts[split.stop].max() < ts[split.test].min()
    )
    assert not (split.train & split.test).any() and (split.train | split.stop | split.test).all()


def test_fit_never_sees_the_measured_weeks():
    """Labels of the measured slice are scrambled: the model and its thresholds do not move."""
    stream = small_stream()
    X = offline_features(stream.history())
    y = stream.is_fraud.copy()
    first = fit(X, y, stream.ts_ms)
    test = stream.ts_ms >= first.figures["cutoffs_ms"][1]
    y[test] = np.random.default_rng(1).permutation(y[test])
    second = fit(X, y, stream.ts_ms)
    assert first.thresholds == second.thresholds and first.best_rounds == second.best_rounds
    assert first.thresholds["review_at"] <= first.thresholds["block_at"]


def test_variants_differ_from_the_patterns_the_features_were_designed_on():
    training, variants = asdict(TRAINING), asdict(VARIANTS)
    for key in ("burst_minutes", "night_hours", "testing_minutes", "takeover_hours", "ring_size"):
        assert training[key] != variants[key], key
    assert TRAINING.unpatterned_share == 0 and VARIANTS.unpatterned_share > 0
    assert TRAINING.mixed_share == 0 and VARIANTS.mixed_share > 0
    stream = synthetic_stream(patterns=VARIANTS, accounts=300, weeks=4, seed=2)
    planted = Counter(stream.pattern[stream.is_fraud])
    assert {"burst", "night", "testing", "takeover", "ring", "unpatterned"} <= set(planted)
    assert not stream.pattern[~stream.is_fraud].any()  # honest rows carry no pattern
    hours = (stream.ts_ms[stream.pattern == "night"] // 3_600_000) % 24
    assert set(hours.tolist()) <= set(VARIANTS.night_hours)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_training_through_the_api_is_a_job_that_registers_a_fraud_draft(
    tenant, make_api_client, django_capture_on_commit_callbacks
):
    client = make_api_client(tenant, Role.ANALYST)
    too_early = client.post("/api/v1/risk/fraud-models/", {}, format="json")
    assert too_early.status_code == 400 and "transactions" in too_early.json()["errors"]
    rows = stream_rows(small_stream())
    for row in rows:
        row["amount"] = str(row["amount"])
        row["occurred_at"] = row["occurred_at"].isoformat()
    stored = client.post("/api/v1/risk/transactions/", {"transactions": rows}, format="json")
    assert stored.status_code == 201, stored.content[:500]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post("/api/v1/risk/fraud-models/", {"name": "cards"}, format="json")
        assert started.status_code == 202
        job = Job.objects.get(pk=started.json()["id"])
        assert job.state == "succeeded", job.error
        model = RiskModel.objects.get(pk=job.result["model_id"])
        assert (model.purpose, model.state, model.label) == (
            ModelPurpose.FRAUD,
            "draft",
            "cards:v1",
        )
        card = model.card
        assert card["cutoffs_ms"][0] < card["cutoffs_ms"][1]
        assert set(card["metrics"]) == {"model", "baseline"}
        assert model.feature_config["features"] == NAMES
        assert set(BASELINE_NAMES) < set(NAMES)
        listed = client.get("/api/v1/risk/models/?purpose=fraud").json()["results"]
        assert [m["id"] for m in listed] == [str(model.pk)]
        # one-step promotion (four eyes off: test_governance.py covers the approval)
        governance_settings_update(tenant=tenant, values={"four_eyes": False})
        promoted = client.post(
            f"/api/v1/risk/models/{model.pk}/promote/", {"state": "champion"}, format="json"
        )
        assert promoted.status_code == 200 and promoted.json()["state"] == ModelState.CHAMPION
        # a fraud champion is never the credit decisions' default model
        credit = client.post("/api/v1/risk/decisions/", {"applicant": {"x": 1}}, format="json")
        assert credit.status_code == 400
    finally:
        tenant_state_clear(tenant=tenant)


def test_evaluate_fraud_prints_its_figures_as_json_last():
    out = io.StringIO()
    call_command("evaluate_fraud", smoke=True, seed=7, stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    for key in ("fraud_pr_auc", "fraud_recall_at_1pct_fpr", "baseline_pr_auc",
                "baseline_recall_at_1pct_fpr"):  # fmt: skip
        assert 0 <= report[key] <= 1, key
    assert report["patterns"] == "variants" and report["test_fraud_rows"] > 0


@pytest.mark.worker
def test_bench_fraud_smoke_prints_its_figures_as_the_last_line():
    """Starts its own gunicorn on a database and Redis database of its own."""
    lines, report = run_smoke(
        "bench_fraud", database=SMOKE_DATABASE, redis_db=SMOKE_REDIS_DB, timeout=600
    )
    for key in ("score_p50_ms", "score_p99_ms", "raw_p50_ms"):
        assert isinstance(report[key], float) and math.isfinite(report[key]) and report[key] > 0
    assert report["plan"] == "smoke" and report["errors"] == 0 and report["requests"] > 0
    assert isinstance(report["sustained_tps"], int | float) and report["ramp"]
    assert report["decisions_audited"] >= report["requests"]
    assert any(line.startswith("REST score p50 ms") for line in lines[:-1])
