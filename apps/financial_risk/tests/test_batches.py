"""Batch scoring: a job over a dataset, decisions bulk-inserted with the same numbers as single
scoring, one audit event for the batch, results downloadable as CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from apps.audit.models import AuditEvent
from apps.financial_risk.engine.data import table_take
from apps.financial_risk.models import BatchScoring, Decision
from apps.financial_risk.selectors import dataset_table, scoring_model
from apps.financial_risk.services import dataset_create, decision_explanation
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.jobs.models import Job

from .factories import TINY_SCHEMA, tiny_model, tiny_rows

pytestmark = pytest.mark.django_db(transaction=True)  # the job commits, then runs


def test_batch_scoring_job_decisions_audit_and_csv(tenant, champion, analyst):
    schema = {
        **TINY_SCHEMA,
        "columns": {k: v for k, v in TINY_SCHEMA["columns"].items() if k != "default"},
    }
    rows = [{k: v for k, v in r.items() if k != "default"} for r in tiny_rows(n=300, seed=5)]
    upload = dataset_create(tenant=tenant, name="to score", schema=schema, rows=rows)
    # Another seed's rows: a few debts fall just under the training minimum, which the default
    # tolerance refuses (test_batch_input_checks.py); this test is about the numbers.
    governance_settings_update(tenant=tenant, values={"range_tolerance": 1.0})
    response = analyst.post(
        "/api/v1/risk/batch-scorings/",
        {"dataset": str(upload.pk), "model": str(champion.pk)},
        format="json",
    )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded", job.error
    assert (job.progress_done, job.progress_total) == (300, 300)
    batch = BatchScoring.objects.get(job=job)
    assert batch.row_count == 300 and job.result_url.endswith(
        f"/batch-scorings/{batch.pk}/results/"
    )
    decisions = Decision.objects.filter(batch=batch).order_by("row_number")
    assert decisions.count() == 300
    assert sum(batch.summary["outcomes"].values()) == 300

    # The same numbers as scoring the rows directly (one code path for both).
    expected = scoring_model(champion).score(dataset_table(upload), explain=True)
    np.testing.assert_allclose([d.probability for d in decisions], expected.probability, rtol=1e-6)
    sample = decisions[7]
    assert sample.inputs == {} and sample.row_number == 7
    _, contributions = decision_explanation(sample)  # from the dataset's row
    for reason in sample.reasons:
        assert reason["contribution"] == pytest.approx(
            dict(contributions)[reason["feature"]], abs=1e-4
        )
        assert reason["value"] == pytest.approx(
            table_take(dataset_table(upload), [7])[reason["feature"]][0]
        )

    # One audit event for the whole batch, with the model version and the row count.
    events = AuditEvent.objects.filter(tenant=tenant, action="financial_risk.batch.score")
    assert events.count() == 1
    assert (events[0].row_count, events[0].model_revision) == (300, "v1")
    assert not AuditEvent.objects.filter(
        tenant=tenant, action="financial_risk.decision.create"
    ).exists()

    download = analyst.get(job.result_url)
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert lines[0] == ["row_number", "probability", "points", "outcome", "reasons"]
    assert len(lines) == 301 and lines[8][0] == "7"
    assert float(lines[8][1]) == pytest.approx(sample.probability, abs=1e-6)


def test_incompatible_dataset_is_a_400(tenant, champion, analyst):
    other = dataset_create(
        tenant=tenant, name="other", schema={"columns": {"income": "numeric"}}, rows=[{"income": 1}]
    )
    response = analyst.post(
        "/api/v1/risk/batch-scorings/",
        {"dataset": str(other.pk), "model": str(champion.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"dataset.debt", "dataset.region"}
    assert not BatchScoring.objects.exists()


def test_copy_keeps_backslashes_quotes_and_non_ascii_values(tenant, dataset):
    from apps.financial_risk.services import batch_scoring_run, batch_scoring_start

    odd = 'Schulden\\Einkommen "zu hoch" – süß\ttab'
    model = tiny_model(
        tenant,
        dataset=dataset,
        feature_config={
            "columns": {"income": ["raw"], "debt": ["raw"], "region": ["one_hot"]},
            "reason_phrases": {"debt": odd},
        },
    )
    schema = {"columns": {"income": "numeric", "debt": "numeric", "region": "categorical"}}
    # The odd region was never seen in training: the tenant refers such rows (else a 400).
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    rows = [
        {"income": 1000.0, "debt": 7900.0, "region": odd},
        {"income": 1500.0, "debt": None, "region": "east"},
    ]
    upload = dataset_create(tenant=tenant, name="odd", schema=schema, rows=rows)
    batch = batch_scoring_start(tenant=tenant, dataset=upload, model=model)
    batch_scoring_run(batch=batch)
    first, second = Decision.objects.filter(batch=batch).order_by("row_number")
    debt = next(r for r in first.reasons if r["feature"] == "debt")
    assert debt["phrase"] == odd and debt["value"] == 7900
    assert all(r["value"] is None for r in second.reasons if r["feature"] == "debt")


def test_batch_ids_are_unique_time_ordered_uuid7():
    import uuid

    from apps.financial_risk.services.batches import _uuid_hex

    ids = [uuid.UUID(hex=h) for h in _uuid_hex(70_000)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids[:1000])
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
