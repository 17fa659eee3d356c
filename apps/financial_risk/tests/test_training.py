"""Training service: model card contents, protected attributes excluded by default, fairness
with the disparate-impact ratio, monotone constraints, the training job over the API."""

from __future__ import annotations

import numpy as np
import pytest

from apps.audit.models import AuditEvent
from apps.financial_risk.engine.data import table_take
from apps.financial_risk.models import ModelState, RiskModel
from apps.financial_risk.selectors import dataset_table, scoring_model
from apps.jobs.models import Job

from .factories import FAST_TRAINING, tiny_dataset, tiny_model

pytestmark = pytest.mark.django_db


def test_model_card_has_everything_a_reviewer_needs(tenant, dataset):
    model = tiny_model(tenant, dataset=dataset)
    card = model.card
    assert model.state == ModelState.DRAFT and model.version == 1
    assert card["dataset"]["digest"] == dataset.digest and card["dataset"]["rows"] == 240
    assert set(card["metrics"]["model"]) >= {"auc", "ks", "gini", "brier", "confusion_matrix"}
    assert card["metrics"]["model"]["gini"] == pytest.approx(
        2 * card["metrics"]["model"]["auc"] - 1, abs=2e-4
    )
    assert card["metrics"]["baseline"]["kind"] == "logistic"
    assert len(card["metrics"]["cv_fold_auc"]) == FAST_TRAINING["cv_folds"]
    assert card["metrics"]["model"]["auc"] > 0.7  # debt/income drives the tiny data's defaults
    assert card["training"]["final"]["rounds"] >= 1 and card["training"]["device"] in (
        "cpu",
        "cuda",
    )
    assert card["library_versions"]["xgboost"] == "3.0.5"
    assert card["training_seconds"] > 0
    cm = card["metrics"]["model"]["confusion_matrix"]
    assert sum(cm.values()) == 240
    # A second training of the same name is the next version.
    assert tiny_model(tenant, dataset=dataset).version == 2
    event = AuditEvent.objects.filter(tenant=tenant, action="financial_risk.model.train").first()
    assert event.model_name == "tiny" and event.row_count == 240


def test_protected_attributes_excluded_and_disparate_impact_computed(tenant, dataset):
    model = tiny_model(tenant, dataset=dataset)
    assert "age" not in model.feature_config["columns"]
    assert "age" not in scoring_model(model).pipeline.sources
    assert any("excluded" in w and "age" in w for w in model.card["features"]["warnings"])
    fairness = model.card["fairness"]["attributes"]["age"]
    rates = [g["approval_rate"] for g in fairness["groups"].values()]
    assert len(rates) == 4  # quartile bands of age
    assert fairness["disparate_impact"] == pytest.approx(min(rates) / max(rates), abs=1e-3)
    assert fairness["flagged"] == (fairness["disparate_impact"] < 0.8)
    assert sum(g["applicants"] for g in fairness["groups"].values()) == 240


def test_including_a_protected_attribute_is_recorded_on_the_card(tenant, dataset):
    model = tiny_model(
        tenant,
        dataset=dataset,
        feature_config={
            "columns": {"income": ["raw"], "debt": ["raw"], "age": ["raw"]},
            "include_protected": True,
        },
    )
    assert "age" in model.feature_config["columns"]
    assert any("Protected attributes are used" in w for w in model.card["features"]["warnings"])


def test_monotone_constraint_is_honoured(tenant, dataset):
    model = tiny_model(
        tenant,
        dataset=dataset,
        feature_config={
            "columns": {"income": ["raw", "log1p"], "debt": ["raw"], "region": ["one_hot"]}
        },
        training_config={**FAST_TRAINING, "monotone": {"debt": 1, "income": -1}},
    )
    loaded = scoring_model(model)
    table = table_take(dataset_table(dataset), np.zeros(50, dtype=int))
    table["debt"] = np.linspace(0, 8000, 50)
    margins = loaded.score(table, explain=False).margin
    assert np.all(np.diff(margins) >= -1e-9)  # more debt never lowers the risk
    table["income"] = np.linspace(1000, 9000, 50)
    table["debt"] = np.full(50, 3000.0)
    assert np.all(np.diff(loaded.score(table, explain=False).margin) <= 1e-9)


def test_nested_search_and_woe_baseline(tenant, dataset):
    model = tiny_model(
        tenant,
        dataset=dataset,
        training_config={
            **FAST_TRAINING,
            "search": [{"max_depth": 1}, {"max_depth": 4, "min_child_weight": 1}],
            "baseline": "woe_logistic",
        },
    )
    assert model.card["training"]["final"]["searched"] in (
        {"max_depth": 1},
        {"max_depth": 4, "min_child_weight": 1},
    )
    assert model.card["metrics"]["baseline"]["kind"] == "woe_logistic"
    assert 0.5 < model.card["metrics"]["baseline"]["auc"] <= 1


def test_training_job_over_the_api(tenant, analyst, django_capture_on_commit_callbacks):
    dataset = tiny_dataset(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(
            "/api/v1/risk/models/",
            {"dataset": str(dataset.pk), "name": "scorecard", "training_config": FAST_TRAINING},
            format="json",
        )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded", job.error
    model = RiskModel.objects.get(pk=job.result["model_id"])
    assert model.name == "scorecard" and model.job_id == job.pk
    assert job.progress_done == job.progress_total
    body = analyst.get(f"/api/v1/risk/models/{model.pk}/").json()
    assert body["card"]["metrics"]["cv_auc_mean"] == model.card["metrics"]["cv_auc_mean"]


def test_training_bad_configuration_is_a_400_naming_the_field(tenant, analyst):
    dataset = tiny_dataset(tenant)
    response = analyst.post(
        "/api/v1/risk/models/",
        {
            "dataset": str(dataset.pk),
            "name": "x",
            "feature_config": {"columns": {"region": ["log1p"]}},
            "training_config": {"cv_folds": 1, "colour": "red"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"feature_config.columns.region"}
    response = analyst.post(
        "/api/v1/risk/models/",
        {
            "dataset": str(dataset.pk),
            "name": "x",
            "training_config": {"cv_folds": 1, "colour": "red"},
        },
        format="json",
    )
    assert set(response.json()["errors"]) == {"training_config.colour", "training_config.cv_folds"}
    unknown = analyst.post(
        "/api/v1/risk/models/",
        {"dataset": "7b0e3c52-0000-4000-8000-000000000000", "name": "x"},
        format="json",
    )
    assert unknown.status_code == 400 and "dataset" in unknown.json()["errors"]
    assert not RiskModel.objects.filter(tenant=tenant).exists()
    assert not Job.objects.filter(tenant=tenant).exists()
