"""Inputs checked against the model's training schema (issue 22): types, ranges seen in
training with a per-feature tolerance, allowed categories; a violation is a 400 naming each
field, or a "refer" decision with the reasons where the tenant chooses; datasets too small for
the configured folds are refused before any job starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.audit.models import AuditEvent
from apps.financial_risk.engine.input_checks import out_of_distribution, training_input_schema
from apps.financial_risk.models import Decision
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.jobs.models import Job

from .factories import TINY_SCHEMA, tiny_applicant, tiny_rows

pytestmark = pytest.mark.django_db
DECISIONS = "/api/v1/risk/decisions/"


def test_the_card_records_the_training_schema_of_every_input(champion):
    schema = champion.card["input_schema"]
    assert schema["region"] == {
        "kind": "categorical",
        "categories": ["east", "north", "south", "west"],
    }
    assert schema["income"]["kind"] == "numeric"
    assert 1000 <= schema["income"]["min"] < schema["income"]["max"] < 9000


def test_ranges_widen_by_the_tolerance_per_feature():
    schema = training_input_schema(
        {"x": [250.0, 10.0e3], "c": ["a", None]}, {"x": "numeric", "c": "categorical"}
    )
    assert out_of_distribution({"x": 11.0e3, "c": "a"}, schema, tolerance=0.1) == {}
    assert out_of_distribution({"x": 225.0}, schema, tolerance=0.1) == {}
    assert set(out_of_distribution({"x": 224.0}, schema, tolerance=0.1)) == {"x"}
    assert set(out_of_distribution({"x": -5.0, "c": None}, schema, tolerance=0.1)) == {"x"}
    assert set(out_of_distribution({"x": 11.5e3}, schema, tolerance=0.1)) == {"x"}
    assert out_of_distribution({"x": 11.5e3}, schema, tolerance=0.1, per_feature={"x": 0.2}) == {}
    assert set(out_of_distribution({"x": 500.0, "c": "b"}, schema, tolerance=0.1)) == {"c"}


def test_the_nonsense_applicant_is_a_400_naming_each_field(tenant, champion, analyst):
    nonsense = tiny_applicant(income=-48.0, debt=-5.0, region="spaceship")
    response = analyst.post(DECISIONS, {"applicant": nonsense}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert set(errors) == {"applicant.income", "applicant.debt", "applicant.region"}
    assert "outside the range seen in training" in errors["applicant.income"][0]
    assert "'spaceship' is not a category seen in training" in errors["applicant.region"][0]
    assert not Decision.objects.filter(tenant=tenant).exists()
    assert (
        analyst.post(DECISIONS, {"applicant": tiny_applicant()}, format="json").status_code == 201
    )


def test_a_tenant_may_refer_out_of_distribution_applicants_with_the_reasons(
    tenant, champion, analyst
):
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    nonsense = tiny_applicant(income=-48.0, region="spaceship")
    response = analyst.post(DECISIONS, {"applicant": nonsense}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "refer"
    flagged = [r for r in body["reasons"] if r.get("out_of_distribution")]
    assert [r["feature"] for r in flagged] == ["income", "region"]
    assert flagged[1]["value"] == "spaceship"
    event = AuditEvent.objects.get(tenant=tenant, action="financial_risk.decision.create")
    assert set(event.details["out_of_distribution"]) == {"income", "region"}


def test_a_three_row_dataset_is_refused_before_any_job_starts(tenant, analyst):
    from apps.financial_risk.services import dataset_create

    rows = tiny_rows(3)
    rows[0]["default"], rows[1]["default"] = "yes", "no"
    dataset = dataset_create(tenant=tenant, name="three", schema=TINY_SCHEMA, rows=rows)
    response = analyst.post(
        "/api/v1/risk/models/", {"dataset": str(dataset.pk), "name": "tiny"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "Too small for 5 cross-validation folds" in response.json()["errors"]["dataset"][0]
    assert not Job.objects.filter(tenant=tenant).exists()


def test_the_german_credit_nonsense_applicant_is_a_400_naming_each_field(tenant, analyst):
    import json

    from apps.financial_risk.services.demo import DEMO_MODEL, german_credit_dataset

    from .factories import tiny_model

    tiny_model(
        tenant, dataset=german_credit_dataset(tenant=tenant), name=DEMO_MODEL, state="champion"
    )
    demo = json.loads((Path(__file__).parents[1] / "demo" / "applicant.json").read_text())
    nonsense = {**demo["applicant"], "duration_in_month": -48, "credit_amount": -5}
    nonsense["purpose"] = "spaceship"
    response = analyst.post(DECISIONS, {"applicant": nonsense}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {
        "applicant.duration_in_month",
        "applicant.credit_amount",
        "applicant.purpose",
    }
    valid = analyst.post(DECISIONS, {"applicant": demo["applicant"]}, format="json")
    assert valid.status_code == 201, valid.content
