"""Clinician corrections: over the API (validated, applied, audited, isolated per tenant),
fed into the next evaluation, and reported as an error rate over time."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.medical_records.models import Correction, Extraction
from tests.raw_sql import raw_text

BASE = "/api/v1/medical"
NOTE = "Admitted with pyelonephritis. Denies fever. Started ceftriaxone."


@pytest.fixture
def structured(clinician):
    return clinician.post(f"{BASE}/notes/", {"text": NOTE}, format="json").json()


def _entity(note_json, text):
    return next(e for e in note_json["extraction"]["entities"] if e["text"] == text)


def test_a_wrong_code_is_corrected_applied_and_audited(tenant, clinician, structured):
    entity = _entity(structured, "pyelonephritis")
    body = {
        "note": structured["id"],
        "kind": "wrong_code",
        "entity_id": entity["id"],
        "code_system": "ICD-10-CM",
        "code": "N10",
    }
    response = clinician.post(f"{BASE}/corrections/", body, format="json")
    assert response.status_code == 201, response.json()
    extraction = Extraction.objects.get(note_id=structured["id"])
    fixed = next(e for e in extraction.entities if e["id"] == entity["id"])
    assert fixed["code"]["code"] == "N10"
    assert AuditEvent.objects.filter(
        tenant=tenant, action="medical_records.correction.wrong_code"
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "wrong_assertion", "entity_id": "e99", "assertion": "present"}, "entity_id"),
        ({"kind": "wrong_assertion", "entity_id": "e1", "assertion": "maybe"}, "assertion"),
        ({"kind": "missed_entity", "start": 5, "end": 2, "entity_type": "condition"}, "start"),
        ({"kind": "missed_phi", "start": 0, "end": 3, "phi_kind": "SECRET"}, "phi_kind"),
        ({"kind": "sideways"}, "kind"),
    ],
)
def test_bad_corrections_get_a_400_naming_the_field(clinician, structured, body, field):
    response = clinician.post(
        f"{BASE}/corrections/", {"note": structured["id"], **body}, format="json"
    )
    assert response.status_code == 400
    assert field in json.dumps(response.json())
    assert not Correction.objects.exists()


def test_another_tenants_note_cannot_be_corrected(other_tenant, make_api_client, structured):
    from apps.accounts.roles import Role

    outsider = make_api_client(other_tenant, Role.CLINICIAN)
    body = {
        "note": structured["id"],
        "kind": "wrong_assertion",
        "entity_id": "e1",
        "assertion": "present",
    }
    assert outsider.post(f"{BASE}/corrections/", body, format="json").status_code == 404


def test_missed_phi_is_masked_and_kept_only_encrypted(clinician, structured):
    note_text = clinician.get(f"{BASE}/notes/{structured['id']}/").json()["text"]
    start = note_text.index("ceftriaxone")
    body = {
        "note": structured["id"],
        "kind": "missed_phi",
        "start": start,
        "end": start + len("ceftriaxone"),
        "phi_kind": "NAME",
    }
    assert clinician.post(f"{BASE}/corrections/", body, format="json").status_code == 201
    masked = clinician.get(f"{BASE}/notes/{structured['id']}/").json()["text"]
    assert "ceftriaxone" not in masked and "[NAME-" in masked
    correction = Correction.objects.get()
    raw = raw_text(Correction, "encrypted_value", correction.pk)  # under the tenant's data key
    assert "ceftriaxone" not in raw and raw.startswith("pv1:")
    assert correction.encrypted_value == "ceftriaxone"


def test_a_corrected_extraction_appears_in_the_next_evaluation(
    tenant, clinician, structured, tmp_path, capsys
):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    phi = tmp_path / "phi.jsonl"
    phi.write_text(json.dumps({"text": "Patient: Jane Roe", "phi": [["Jane Roe", "NAME"]]}))
    arguments = {
        "entities": [],
        "assertions": str(empty),
        "phi": str(phi),
        "lookalikes": str(empty),
        "tenant": tenant.slug,
    }
    call_command("evaluate_medical", **arguments)
    before = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert before["entity_mentions"] == 0
    body = {
        "note": structured["id"],
        "kind": "missed_entity",
        "start": 0,
        "end": 8,
        "entity_type": "condition",
        "code_system": "ICD-10-CM",
        "code": "R69",
    }
    assert clinician.post(f"{BASE}/corrections/", body, format="json").status_code == 201
    call_command("evaluate_medical", **arguments)
    after = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert after["entity_mentions"] == 1
    assert after["en"]["entity_mentions"] == 1


def test_the_error_rate_report_counts_corrections_per_week(clinician, structured):
    entity = _entity(structured, "fever")
    body = {
        "note": structured["id"],
        "kind": "wrong_assertion",
        "entity_id": entity["id"],
        "assertion": "present",
    }
    clinician.post(f"{BASE}/corrections/", body, format="json")
    (week,) = clinician.get(f"{BASE}/corrections/report/").json()
    assert week["corrections"] == 1
    assert week["entities"] == len(structured["extraction"]["entities"])
    assert week["error_rate"] == round(1 / week["entities"], 4)
