"""Medical pseudonym values and missed-PHI corrections under the tenant's data key
(``PseudonymValueField``, migration medical_records 0006): the raw columns hold no plaintext,
values under the old platform-wide key still read and are moved both ways by the migration,
key rotation keeps them readable, offboarding's key destruction shreds every copy, and
de-identification and re-identification work as before."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from apps.accounts.roles import Role
from apps.medical_records import platform_key
from apps.medical_records.models import Correction, PseudonymEntry
from apps.medical_records.services.corrections import correction_create, corrections_as_eval_rows
from apps.medical_records.services.identity import TOKEN, note_reidentify
from apps.medical_records.tests import factories as medical
from apps.privacy.fields import ERASED
from apps.privacy.keys import KeyUnavailable, decrypt, tenant_keys_destroy
from tests.raw_sql import raw_text, raw_update

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module(
    "apps.medical_records.migrations.0006_pseudonym_values_tenant_keys"
)


def _entry(note, kind="NAME") -> PseudonymEntry:
    token = next(m.group() for m in TOKEN.finditer(note.text) if m["kind"] == kind)
    return PseudonymEntry.objects.get(tenant=note.tenant, token=token)


def _missed_phi(tenant, note) -> Correction:
    start = note.text.index("warfarin")
    return correction_create(
        tenant=tenant,
        note=note,
        kind="missed_phi",
        start=start,
        end=start + len("warfarin"),
        phi_kind="NAME",
    )


def _reidentified(tenant, note) -> str:
    grant = medical.grant(tenant)
    return note_reidentify(tenant=tenant, note=note, credential=grant.api_key, role=Role.CLINICIAN)


def test_raw_columns_hold_only_tenant_key_ciphertext(tenant):
    note = medical.note(tenant)
    entry = _entry(note)
    correction = _missed_phi(tenant, note)
    for model, pk, plain in (
        (PseudonymEntry, entry.pk, "Jane Roe"),
        (Correction, correction.pk, "warfarin"),
    ):
        raw = raw_text(model, "encrypted_value", pk)
        assert raw.startswith(f"pv1:{tenant.pk}:1:")
        assert "Jane" not in raw and "Roe" not in raw and "warfarin" not in raw
        assert model.objects.get(pk=pk).encrypted_value == plain
    note.refresh_from_db()
    assert "Jane Roe" not in note.text and "warfarin" not in note.text
    assert "Jane Roe" in _reidentified(tenant, note)
    phi = corrections_as_eval_rows(tenant_slug=tenant.slug)["phi"]
    assert phi[0]["phi"] == [["warfarin", "NAME"]]


def test_values_under_the_old_platform_key_read_and_migrate_both_ways(tenant):
    note = medical.note(tenant)
    entry = _entry(note)
    correction = _missed_phi(tenant, note)
    # As stored before the migration: Fernet tokens under MEDICAL_RECORDS_ENCRYPTION_KEY.
    raw_update(PseudonymEntry, "encrypted_value", entry.pk, platform_key.encrypt("Jane Roe"))
    raw_update(Correction, "encrypted_value", correction.pk, platform_key.encrypt("warfarin"))
    assert PseudonymEntry.objects.get(pk=entry.pk).encrypted_value == "Jane Roe"
    assert Correction.objects.get(pk=correction.pk).encrypted_value == "warfarin"

    MIGRATION.to_tenant_keys(django_apps, None)
    raw = raw_text(PseudonymEntry, "encrypted_value", entry.pk)
    assert raw.startswith(f"pv1:{tenant.pk}:") and decrypt(raw) == "Jane Roe"
    assert decrypt(raw_text(Correction, "encrypted_value", correction.pk)) == "warfarin"
    note.refresh_from_db()
    assert "Jane Roe" in _reidentified(tenant, note)

    MIGRATION.to_platform_key(django_apps, None)
    raw = raw_text(PseudonymEntry, "encrypted_value", entry.pk)
    assert not raw.startswith("pv1:") and platform_key.decrypt(raw) == "Jane Roe"
    assert PseudonymEntry.objects.get(pk=entry.pk).encrypted_value == "Jane Roe"


def test_key_rotation_reencrypts_pseudonym_values_and_keeps_them_readable(tenant):
    note = medical.note(tenant)
    entry = _entry(note)
    correction = _missed_phi(tenant, note)
    call_command("privacy_rotate_keys", "--tenant", tenant.slug, stdout=StringIO())
    assert raw_text(PseudonymEntry, "encrypted_value", entry.pk).startswith(f"pv1:{tenant.pk}:2:")
    assert raw_text(Correction, "encrypted_value", correction.pk).startswith(f"pv1:{tenant.pk}:2:")
    assert PseudonymEntry.objects.get(pk=entry.pk).encrypted_value == "Jane Roe"
    note.refresh_from_db()
    assert "Jane Roe" in _reidentified(tenant, note)


def test_offboarding_key_destruction_shreds_every_copy(tenant, other_tenant):
    note = medical.note(tenant)
    entry = _entry(note)
    theirs = _entry(medical.note(other_tenant))
    copy = raw_text(PseudonymEntry, "encrypted_value", entry.pk)  # e.g. in a backup
    tenant_keys_destroy(tenant=tenant)
    with pytest.raises(KeyUnavailable):
        decrypt(copy)
    assert PseudonymEntry.objects.get(pk=entry.pk).encrypted_value == ERASED
    assert PseudonymEntry.objects.get(pk=theirs.pk).encrypted_value == "Jane Roe"
