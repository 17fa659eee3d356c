"""Encryption at rest: the raw column values hold none of the plaintext; rows stored in clear
are encrypted by the migration helper; key rotation keeps every value readable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.customer_service.models import Turn
from apps.customer_service.tests import factories as cs
from apps.medical_records.models import Note
from apps.medical_records.tests import factories as medical
from apps.privacy.migration_ops import encrypt_existing_rows
from apps.privacy.models import TenantDataKey
from tests.raw_sql import raw_bytes, raw_text, raw_update

pytestmark = pytest.mark.django_db
SECRET = "my card is 4111 1111 1111 1111, call 555-0199"


def _raw(model, pk) -> str:
    return raw_text(model, "text", pk)


def test_raw_columns_hold_no_plaintext(tenant):
    turn = cs.turn(tenant, text=SECRET)
    note = medical.note(tenant)
    assert Turn.objects.get(pk=turn.pk).text == SECRET
    for model, obj, plain in ((Turn, turn, SECRET), (Note, note, note.text)):
        raw = _raw(model, obj.pk)
        assert raw.startswith(f"pv1:{tenant.pk}:1:")
        for word in plain.split():
            if len(word) > 4:
                assert word not in raw


def test_rows_stored_in_clear_are_encrypted_in_place(tenant):
    turn = cs.turn(tenant)
    raw_update(Turn, "text", turn.pk, SECRET)
    assert _raw(Turn, turn.pk) == SECRET
    assert encrypt_existing_rows(Turn, "text") >= 1
    assert SECRET not in _raw(Turn, turn.pk) and Turn.objects.get(pk=turn.pk).text == SECRET


def test_key_rotation_reencrypts_and_keeps_every_value_readable(tenant, other_tenant):
    turns = [cs.turn(tenant, text=f"{SECRET} #{i}") for i in range(3)]
    theirs = cs.turn(other_tenant, text="other tenant text")
    before = {t.pk: _raw(Turn, t.pk) for t in turns}
    call_command("privacy_rotate_keys", stdout=StringIO())
    assert TenantDataKey.objects.filter(tenant=tenant).count() == 2
    for i, turn in enumerate(turns):
        raw = _raw(Turn, turn.pk)
        assert raw != before[turn.pk] and raw.startswith(f"pv1:{tenant.pk}:2:")
        assert Turn.objects.get(pk=turn.pk).text == f"{SECRET} #{i}"
    assert Turn.objects.get(pk=theirs.pk).text == "other tenant text"


def test_uploaded_dataset_rows_are_encrypted_at_rest(tenant):
    from apps.financial_risk.models import Dataset
    from apps.financial_risk.selectors import dataset_table
    from apps.financial_risk.tests.factories import tiny_dataset

    dataset = tiny_dataset(tenant, n=40)
    raw = raw_bytes(Dataset, "data", dataset.pk)
    assert raw.startswith(f"pv1:{tenant.pk}:".encode())
    assert b"PAR1" not in raw and b"east" not in raw  # no Parquet, no column value
    assert len(dataset_table(Dataset.objects.get(pk=dataset.pk))["income"]) == 40
