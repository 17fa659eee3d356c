"""The demo seed (``make run``), ``evaluate_risk`` and ``bench_risk --smoke`` end to end."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from apps.financial_risk.models import ModelState, RiskAccount, RiskModel
from apps.financial_risk.services.demo import risk_demo_seed
from benchmarks.harness.smoke import run_smoke

from .factories import tiny_rows

ROOT = Path(__file__).resolve().parents[3]
DEMO_APPLICANT = ROOT / "apps" / "financial_risk" / "demo" / "applicant.json"
SMOKE_DATABASE = "bench_risk_smoke"
# Not 15 (the suite's workers), 14 (acceptance checks) nor 13 (bench_inference's smoke).
SMOKE_REDIS_DB = os.environ.get("BENCH_RISK_SMOKE_REDIS_DB", "10")


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_a_decision_is_one_request_away(tenant, make_api_client):
    first = risk_demo_seed(tenant=tenant, log=lambda line: None)
    again = risk_demo_seed(tenant=tenant, log=lambda line: None)
    assert first == again
    assert RiskModel.objects.filter(tenant=tenant).count() == 1
    champion = RiskModel.objects.get(tenant=tenant)
    assert champion.state == ModelState.CHAMPION and champion.dataset.row_count == 1000
    assert champion.card["metrics"]["cv_auc_mean"] > 0.75
    assert set(champion.card["fairness"]["attributes"]) == {
        "personal_status_and_sex",
        "age_in_years",
        "foreign_worker",
    }
    assert RiskAccount.objects.filter(tenant=tenant, ring__isnull=False).count() == 15

    client = make_api_client(tenant, "analyst")
    response = client.post(
        "/api/v1/risk/decisions/", json.loads(DEMO_APPLICANT.read_text()), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reasons"] and body["model_label"] == "credit:v1"
    picture = client.get(body["waterfall_url"])
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"


def test_evaluate_risk_on_a_csv_prints_json_last(tmp_path):
    path = tmp_path / "loans.csv"
    pd.DataFrame(tiny_rows(n=300, seed=4)).to_csv(path, index=False)
    out = io.StringIO()
    call_command(
        "evaluate_risk",
        csv=str(path),
        target="default",
        positive="yes",
        protected="age",
        seeds=2,
        folds=3,
        stdout=out,
        stderr=io.StringIO(),
    )
    lines = out.getvalue().strip().splitlines()
    report = json.loads(lines[-1])
    assert [s["seed"] for s in report["per_seed"]] == [0, 1]
    assert report["cv_auc_min_seed"] == min(s["cv_auc"] for s in report["per_seed"])
    assert 0.7 < report["cv_auc"] <= 1 and 0.5 < report["baseline_cv_auc"] <= 1
    # The WoE scorecard beside them, per seed and as the mean of the seeds (issue 22).
    seeds = [s["scorecard_cv_auc"] for s in report["per_seed"]]
    assert all(0.5 < auc <= 1 for auc in seeds)
    assert report["scorecard_cv_auc"] == pytest.approx(sum(seeds) / len(seeds), abs=1e-4)
    assert "scorecard AUC" in lines[0]
    assert "age" not in report["features"] and report["excluded_protected"] == ["age"]
    assert lines[0].startswith("seed 0: pipeline AUC")
    assert report["blend"] == "scorecard"


def test_evaluate_risk_takes_other_seeds_and_the_trees_alone(tmp_path):
    """The confirmation runs of the README: other fold partitions, and the blend switched off
    on the same folds, which must score differently from the blend."""
    path = tmp_path / "loans.csv"
    pd.DataFrame(tiny_rows(n=300, seed=4)).to_csv(path, index=False)
    reports = {}
    for blend in ("scorecard", "none"):
        out = io.StringIO()
        call_command(
            "evaluate_risk",
            csv=str(path),
            target="default",
            positive="yes",
            seeds=1,
            first_seed=5,
            folds=3,
            blend=blend,
            stdout=out,
            stderr=io.StringIO(),
        )
        reports[blend] = json.loads(out.getvalue().strip().splitlines()[-1])
    assert [s["seed"] for s in reports["none"]["per_seed"]] == [5]
    assert reports["none"]["blend"] == "none"
    assert reports["none"]["cv_auc"] != reports["scorecard"]["cv_auc"]
    # The baseline does not depend on the blend: same folds, same figure.
    assert reports["none"]["baseline_cv_auc"] == reports["scorecard"]["baseline_cv_auc"]
    with pytest.raises(CommandError, match="first-seed"):
        call_command("evaluate_risk", first_seed=-1, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.worker
def test_bench_risk_smoke_prints_its_figures_as_the_last_line():
    """Starts its own web server and worker on a database and Redis database of its own."""
    lines, report = run_smoke(
        "bench_risk", database=SMOKE_DATABASE, redis_db=SMOKE_REDIS_DB, timeout=600
    )
    for key in ("batch_over_raw", "single_decision_p50_ms", "raw_seconds", "batch_seconds"):
        assert (
            isinstance(report[key], int | float) and math.isfinite(report[key]) and report[key] > 0
        )
    assert report["plan"] == "smoke" and report["rows"] == 3000
    assert any(line.startswith("batch_over_raw") for line in lines[:-1])
