"""Rows of the medical-records vertical made through its services (for tests and the
tenant-isolation registry)."""

from __future__ import annotations

from apps.accounts.roles import Role

NOTE = (
    "Patient: Jane Roe   MRN: 55501234\n"
    "HPI: Denies chest pain. Takes warfarin 5 mg daily and aspirin 81 mg daily.\n"
)


def note(tenant, text: str = NOTE):
    from apps.medical_records.services import NoteInput, note_structure

    return note_structure(tenant=tenant, item=NoteInput(text=text), source="api")


def extraction(tenant):
    return note(tenant).extraction


def finding(tenant):
    return note(tenant).findings.first()


def batch(tenant):
    from django.test import TestCase

    from apps.medical_records.services import note_batch_start

    with TestCase.captureOnCommitCallbacks(execute=True):
        made = note_batch_start(tenant=tenant, content=b"text\nDenies fever.\n", fmt="csv")
    made.refresh_from_db()
    return made


def patient(tenant):
    return note(tenant).patient


def pseudonym(tenant):
    from apps.medical_records.models import PseudonymEntry

    note(tenant)
    return PseudonymEntry.objects.filter(tenant=tenant).first()


def check_set(tenant):
    from apps.medical_records.models import CheckRuleSet

    return CheckRuleSet.objects.create(
        tenant=tenant,
        name="strict",
        definition="rules:\n  - {id: ddi, kind: drug_drug, edge_type: interacts_with, "
        "severity: high}\n",
    )


def grant(tenant):
    from apps.accounts.services import api_key_create
    from apps.medical_records.services import grant_create

    key = api_key_create(tenant=tenant, name="clinician", role=Role.CLINICIAN).api_key
    return grant_create(tenant=tenant, reason="isolation test", api_key=key)


def correction(tenant):
    from apps.medical_records.services.corrections import correction_create

    made = note(tenant)
    entity = made.extraction.entities[0]
    return correction_create(
        tenant=tenant,
        note=made,
        kind="wrong_assertion",
        entity_id=entity["id"],
        assertion="present",
    )
