"""The medical-records data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

Clinical notes (with their extractions and findings, which cascade) and note batches; the
patient (pseudonym, identity digest) and the tenant's pseudonym map. A patient is erased by
pseudonym: their notes, extractions, findings, the patient row and the pseudonym-map entry of
their identity go.
"""

from __future__ import annotations

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows

from .models import Note, NoteBatch, Patient, PseudonymEntry


def _expire_notes(tenant, before, limit) -> int:
    return delete_batch(Note.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _expire_batches(tenant, before, limit) -> int:
    return delete_batch(NoteBatch.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _erase_patient(tenant, subject_kind, subject_id) -> dict:
    patients = Patient.objects.filter(tenant=tenant, pseudonym=subject_id)
    pseudonyms = list(patients.values_list("pseudonym", flat=True))
    counts = deleted_counts(Note.objects.filter(tenant=tenant, patient__in=patients))
    counts.update(deleted_counts(patients))
    # The patient's pseudonym is the token of their identity in the pseudonym map: the entry
    # that would re-identify them goes too.
    entries = PseudonymEntry.objects.filter(tenant=tenant, token__in=pseudonyms)
    counts.update(deleted_counts(entries))
    return counts


def _erase_notes(tenant) -> dict:
    counts = deleted_counts(Note.objects.filter(tenant=tenant))
    counts.update(deleted_counts(NoteBatch.objects.filter(tenant=tenant)))
    return counts


def _erase_identities(tenant) -> dict:
    counts = deleted_counts(Patient.objects.filter(tenant=tenant))
    counts.update(deleted_counts(PseudonymEntry.objects.filter(tenant=tenant)))
    return counts


def _export_notes(tenant):
    yield from export_rows("medical_records_note", Note.objects.filter(tenant=tenant))


def _export_identities(tenant):
    yield from export_rows("medical_records_patient", Patient.objects.filter(tenant=tenant))


def _expire_nothing(tenant, before, limit) -> int:
    return 0  # patients and pseudonyms go with erasure, never by age alone


DATA_KINDS = [
    DataKind(
        name="medical_records.notes",
        default_days=10 * 365,
        expire=_expire_notes,
        erase_tenant=_erase_notes,
        export=_export_notes,
        erase_subject=_erase_patient,
        subject_kinds=("patient",),
    ),
    DataKind(
        name="medical_records.note_batches",
        default_days=30,
        expire=_expire_batches,
        erase_tenant=lambda tenant: deleted_counts(NoteBatch.objects.filter(tenant=tenant)),
        export=lambda tenant: iter(()),
    ),
    DataKind(
        name="medical_records.identities",
        default_days=None,
        expire=_expire_nothing,
        erase_tenant=_erase_identities,
        export=_export_identities,
    ),
]
