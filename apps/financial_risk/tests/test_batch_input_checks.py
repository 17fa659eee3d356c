"""Batch scoring checks its rows against the model's training schema like single decisions
(issue 22): outside it, a 400 naming each column (with the rows) before any job starts, or,
where the tenant refers such applicants, "refer" decisions whose reasons name the columns."""

from __future__ import annotations

import csv
import io

import pytest

from apps.audit.models import AuditEvent
from apps.financial_risk.models import BatchScoring, Decision
from apps.financial_risk.services import batch_results_csv, dataset_create
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)  # the job commits, then runs
URL = "/api/v1/risk/batch-scorings/"
SCHEMA = {"columns": {"income": "numeric", "debt": "numeric", "region": "categorical"}}
ROWS = [
    {"income": 3000.0, "debt": 1000.0, "region": "north"},
    {"income": 3000.0, "debt": -48.0, "region": "north"},  # debt below anything seen
    {"income": 2500.0, "debt": 2000.0, "region": "spaceship"},  # never seen
    {"income": 4000.0, "debt": None, "region": "south"},  # missing: not checked
]


def _upload(tenant):
    return dataset_create(tenant=tenant, name="odd applicants", schema=SCHEMA, rows=ROWS)


def test_rows_outside_the_training_schema_are_a_400_naming_each_column(tenant, champion, analyst):
    response = analyst.post(
        URL, {"dataset": str(_upload(tenant).pk), "model": str(champion.pk)}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert set(errors) == {"dataset.debt", "dataset.region"}
    assert "1 row(s) outside the range seen in training" in errors["dataset.debt"][0]
    assert "row 2." in errors["dataset.debt"][0]
    assert "not a category seen in training" in errors["dataset.region"][0]
    assert "row 3." in errors["dataset.region"][0]
    assert not BatchScoring.objects.exists() and not Job.objects.exists()


def test_a_tenant_that_refers_gets_refer_decisions_with_the_reasons(tenant, champion, analyst):
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    response = analyst.post(
        URL, {"dataset": str(_upload(tenant).pk), "model": str(champion.pk)}, format="json"
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded", job.error
    batch = BatchScoring.objects.get(job=job)
    decisions = {d.row_number: d for d in Decision.objects.filter(batch=batch)}
    assert len(decisions) == 4
    for row, column in ((1, "debt"), (2, "region")):
        assert decisions[row].outcome == "refer"
        first = decisions[row].reasons[0]
        assert first["feature"] == column and first["out_of_distribution"] is True
        assert first["contribution"] is None and first["phrase"].startswith("out of distribution")
    assert decisions[1].reasons[0]["value"] == -48
    assert decisions[2].reasons[0]["value"] == "spaceship"
    assert not any(r.get("out_of_distribution") for r in decisions[0].reasons)
    assert not any(r.get("out_of_distribution") for r in decisions[3].reasons)
    assert batch.summary["out_of_distribution"] == {"debt": 1, "region": 1}
    event = AuditEvent.objects.get(tenant=tenant, action="financial_risk.batch.score")
    assert event.details["out_of_distribution"] == {"debt": 1, "region": 1}
    lines = list(csv.reader(io.StringIO("".join(batch_results_csv(batch)))))
    assert "debt (out of distribution)" in lines[2][4]
    # the reader's view: the same phrases as single decisions, in Chinese too
    body = analyst.get(f"/api/v1/risk/decisions/{decisions[2].pk}/", HTTP_ACCEPT_LANGUAGE="zh")
    assert body.json()["reasons"][0]["phrase"].startswith("region 超出训练数据范围")
