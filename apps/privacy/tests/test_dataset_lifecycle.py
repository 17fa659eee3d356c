"""Risk datasets as a data kind (``financial_risk.datasets``, apps/financial_risk/privacy.py):
retention with frozen time (held while a model in service or batch decisions need them),
export as JSON lines per row, applicant erasure removing the rows that name them (batch
decisions renumbered), tenant erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.accounts.roles import Role
from apps.approvals.services import approval_approve
from apps.data_lifecycle.erasure import erasure_request_create
from apps.data_lifecycle.kinds import data_kinds, retention_days
from apps.data_lifecycle.retention import retention_policy_set, retention_run
from apps.financial_risk.models import BatchScoring, Dataset, Decision
from apps.financial_risk.selectors import dataset_table
from apps.financial_risk.services import dataset_create
from apps.financial_risk.tests import factories as risk
from apps.registry.models import ModelState
from tests.raw_sql import raw_bytes

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)
KIND = "financial_risk.datasets"
ID_SCHEMA = {
    **risk.TINY_SCHEMA,
    "columns": {"applicant_id": "id", **risk.TINY_SCHEMA["columns"]},
}


def _batch_decisions(dataset, model, rows) -> BatchScoring:
    """A batch scoring of ``dataset`` with one decision per row number in ``rows`` (as the
    batch job writes them: no inputs, a row number; the probability tells them apart)."""
    batch = BatchScoring.objects.create(
        tenant=dataset.tenant, dataset=dataset, model=model, row_count=len(rows)
    )
    Decision.objects.bulk_create(
        Decision(
            tenant=dataset.tenant,
            model=model,
            batch=batch,
            row_number=row,
            inputs={},
            probability=row / 1000,
            points=float(row),
            outcome="approve",
            reasons=[],
        )
        for row in rows
    )
    return batch


def test_default_period_is_three_years():
    assert retention_days(data_kinds()[KIND]) == 3 * 365


def test_retention_deletes_old_unused_datasets_and_holds_those_still_needed(tenant, other_tenant):
    retention_policy_set(tenant=tenant, data_kind=KIND, days=30)
    old = NOW - timedelta(days=31)
    with time_machine.travel(old, tick=False):
        unused = risk.tiny_dataset(tenant, n=40)
        champion = risk.tiny_model(tenant, state=ModelState.CHAMPION)
        draft = risk.tiny_model(tenant, name="draft")
        scored = risk.tiny_dataset(tenant, n=40)
        batch = _batch_decisions(scored, draft, range(3))
        theirs = risk.tiny_dataset(other_tenant, n=40)  # platform default: 3 years
    recent = risk.tiny_dataset(tenant, n=40)

    with time_machine.travel(NOW, tick=False):
        retention_run(tenants=[tenant, other_tenant])
    left = set(Dataset.objects.values_list("pk", flat=True))
    assert unused.pk not in left and draft.dataset_id not in left  # a draft holds nothing
    assert {champion.dataset_id, scored.pk, recent.pk, theirs.pk} <= left

    # Once the batch's decisions are gone (their own period) the dataset follows.
    Decision.objects.filter(batch=batch).delete()
    with time_machine.travel(NOW, tick=False):
        retention_run(tenants=[tenant])
    assert not Dataset.objects.filter(pk=scored.pk).exists()
    assert not BatchScoring.objects.filter(pk=batch.pk).exists()
    assert Dataset.objects.filter(pk=champion.dataset_id).exists()


def test_export_writes_metadata_and_one_line_per_row(tenant, other_tenant):
    dataset = risk.tiny_dataset(tenant, n=12)
    risk.tiny_dataset(other_tenant, n=5)
    lines = list(data_kinds()[KIND].export(tenant))
    meta = [row for table, row in lines if table == "financial_risk_dataset"]
    rows = [row for table, row in lines if table == "financial_risk_dataset_row"]
    assert [m["id"] for m in meta] == [dataset.pk] and "data" not in meta[0]
    assert len(rows) == 12 and {r["dataset_id"] for r in rows} == {dataset.pk}
    table = dataset_table(dataset)
    assert rows[3]["income"] == table["income"][3] and rows[3]["region"] == table["region"][3]


def _id_dataset(tenant, n=30):
    rows = [{"applicant_id": f"APP-{i:04d}", **row} for i, row in enumerate(risk.tiny_rows(n))]
    return dataset_create(tenant=tenant, name="with ids", schema=ID_SCHEMA, rows=rows)


def test_applicant_erasure_removes_their_rows_and_renumbers_batch_decisions(
    tenant, make_member, django_capture_on_commit_callbacks
):
    dataset = _id_dataset(tenant)
    model = risk.tiny_model(tenant)
    _batch_decisions(dataset, model, range(30))
    before = dataset_table(dataset)
    digest = dataset.digest
    untouched = risk.tiny_dataset(tenant, n=20)  # no id column: never matched

    erasure = erasure_request_create(
        tenant=tenant,
        requested_by=make_member(tenant, Role.ADMIN),
        scope="subject",
        subject_kind="applicant",
        subject_id="APP-0007",
        reason="request",
    )
    with django_capture_on_commit_callbacks(execute=True):
        approval_approve(request=erasure.approval, user=make_member(tenant, Role.ADMIN))
    erasure.refresh_from_db()
    assert erasure.certificate["deleted"]["financial_risk.Dataset.rows"] == 1

    dataset.refresh_from_db()
    after = dataset_table(dataset)
    assert dataset.row_count == 29 and dataset.digest != digest
    assert "APP-0007" not in set(after["applicant_id"])
    assert b"APP-0007" not in raw_bytes(Dataset, "data", dataset.pk)
    # The decision on the erased row is gone; the later ones point at their rows' new numbers.
    assert not Decision.objects.filter(probability=7 / 1000).exists()
    moved = Decision.objects.get(probability=8 / 1000)
    assert moved.row_number == 7 and after["applicant_id"][7] == before["applicant_id"][8]
    assert Decision.objects.get(probability=6 / 1000).row_number == 6
    assert Decision.objects.filter(batch__dataset=dataset).count() == 29
    assert Dataset.objects.get(pk=untouched.pk).row_count == 20


def test_tenant_erasure_removes_every_dataset_of_the_tenant_only(tenant, other_tenant):
    model = risk.tiny_model(tenant)
    _batch_decisions(model.dataset, model, range(2))
    theirs = risk.tiny_dataset(other_tenant, n=10)
    counts = data_kinds()[KIND].erase_tenant(tenant)
    assert counts["financial_risk.Dataset"] == 1 and counts["financial_risk.BatchScoring"] == 1
    assert counts["financial_risk.Decision"] == 2
    assert not Dataset.objects.filter(tenant=tenant).exists()
    assert Dataset.objects.filter(pk=theirs.pk).exists()
