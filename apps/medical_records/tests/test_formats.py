"""FHIR R4B Bundle (validated, statuses by assertion), HL7 v2 ORU^R01 round trip, and the
errors of HL7 v2 and FHIR DocumentReference input."""

from __future__ import annotations

import base64

import pytest
from fhir.resources.R4B.bundle import Bundle

from apps.medical_records.engine.formats.fhir import FhirInputError, document_text
from apps.medical_records.engine.formats.hl7 import (
    Hl7InputError,
    message_parse,
    oru_build,
    oru_read_results,
)
from apps.medical_records.services import NoteInput, note_structure

pytestmark = pytest.mark.django_db

MDM = (
    "MSH|^~\\&|EPIC|HOSP|MR|PLAT|20240315120000||MDM^T02^MDM_T02|MSG0001|P|2.5\r"
    "EVN|T02|20240315120000\r"
    "PID|1||00482913^^^HOSP^MR||Oyelaran^Margaret||19310412|F\r"
    "PV1|1|O\r"
    "TXA|1|PN|TX|20240315120000||||||||DOC123|||||AU\r"
    "OBX|1|TX|11506-3^Progress note^LN||Ms. Oyelaran denies chest pain.~Mother has diabetes."
    "||||||F"
)
ORU = (
    "MSH|^~\\&|LAB|HOSP|MR|PLAT|20240315120000||ORU^R01^ORU_R01|MSG0002|P|2.5\n"
    "PID|1||7710045^^^HOSP^MR||Kline^Deborah\n"
    "OBR|1||ORD1|11506-3^Progress note^LN\n"
    "OBX|1|TX|11506-3^Progress note^LN||Possible pneumonia. No fever.||||||F\n"
)


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_validates_and_maps_assertions(tenant, demo_note):
    note = note_structure(tenant=tenant, item=NoteInput(text=demo_note), source="api")
    bundle = note.extraction.fhir_bundle
    Bundle.model_validate(bundle)  # raises if invalid
    conditions = {c["code"]["text"]: c for c in _resources(bundle, "Condition")}
    assert conditions["Chest pain"]["verificationStatus"]["coding"][0]["code"] == "refuted"
    # Issue 20: "history of" alone does not make it inactive (nlp/clinical.py).
    assert (
        conditions["Essential (primary) hypertension"]["clinicalStatus"]["coding"][0]["code"]
        == "active"
    )
    assert conditions["Palpitations"]["clinicalStatus"]["coding"][0]["code"] == "active"
    assert (
        conditions["Unspecified atrial fibrillation"]["verificationStatus"]["coding"][0]["code"]
        == "provisional"
    )
    assert conditions["Chest pain"]["code"]["coding"][0]["system"] == (
        "http://hl7.org/fhir/sid/icd-10-cm"
    )
    assert _resources(bundle, "FamilyMemberHistory")
    patient = _resources(bundle, "Patient")[0]
    assert "Oyelaran" not in str(patient) and patient["identifier"][0]["value"].startswith("[NAME-")
    statement = next(
        m
        for m in _resources(bundle, "MedicationStatement")
        if m["medicationCodeableConcept"]["text"] == "Metformin"
    )
    assert statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 1500.0
    assert _resources(bundle, "AllergyIntolerance")
    observation = next(
        o for o in _resources(bundle, "Observation") if o["code"]["coding"][0]["code"] == "4548-4"
    )
    assert observation["valueQuantity"]["value"] == 8.2
    provenance = _resources(bundle, "Provenance")[0]
    assert "medical-records-pipeline" in provenance["agent"][0]["who"]["display"]
    assert len(provenance["target"]) == len(bundle["entry"]) - 1


def test_an_invalid_bundle_is_rejected():
    from pydantic import ValidationError

    from apps.medical_records.engine.formats.fhir import bundle_validate

    with pytest.raises(ValidationError):
        bundle_validate(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "fullUrl": "urn:uuid:1",
                        "resource": {"resourceType": "Condition", "code": {"text": "x"}},
                    }
                ],
            }
        )


def test_hl7_oru_round_trip(tenant, demo_note):
    note = note_structure(tenant=tenant, item=NoteInput(text=demo_note), source="api")
    entities = note.extraction.entities
    er7 = oru_build(
        note_id=str(note.pk),
        patient_pseudonym=note.patient.pseudonym,
        entities=entities,
        timestamp="20261125040000",
        pipeline_version="v1",
    )
    results = oru_read_results(er7)  # parses and validates again with hl7apy
    assert len(results) == len(entities)
    by_code = {r["code"]: r for r in results}
    assert by_code["R07.9"]["value"] == "negated" and by_code["R07.9"]["system"] == "I10C"
    assert by_code["4548-4"] == {
        "code": "4548-4",
        "system": "LN",
        "type": "NM",
        "value": "8.2",
        "unit": "%",
    }
    assert "Oyelaran" not in er7
    parsed = message_parse(er7.replace("\r", "\n"))  # what we send, we can read back
    assert parsed["message_type"].startswith("ORU^R01")


def test_hl7_mdm_and_oru_are_read():
    mdm = message_parse(MDM)
    assert mdm["text"] == "Ms. Oyelaran denies chest pain.\nMother has diabetes."
    assert (mdm["patient_name"], mdm["mrn"]) == ("Margaret Oyelaran", "00482913")
    oru = message_parse(ORU)
    assert oru["text"] == "Possible pneumonia. No fever."


@pytest.mark.parametrize(
    "message,field",
    [
        (MDM.replace("MDM^T02^MDM_T02", "ADT^A01"), "MSH.9"),
        (MDM.replace("|P|2.5", "|P|"), "MSH.12"),
        (MDM.replace("Ms. Oyelaran denies chest pain.~Mother has diabetes.", ""), "OBX[1].5"),
        (MDM.replace("TXA|1|PN|TX|20240315120000||||||||DOC123|||||AU", "TXA|1"), "TXA.2"),
        (MDM.replace("EVN|", "evn|"), "segment 2"),
        ("PID|1||123", "MSH"),
        (ORU.replace("OBX|1|TX|", "OBX|1||"), "OBX[1].2"),
    ],
)
def test_hl7_errors_name_segment_and_field(message, field):
    with pytest.raises(Hl7InputError) as raised:
        message_parse(message)
    assert field in raised.value.errors, raised.value.errors


def test_fhir_document_reference_in_and_its_errors():
    data = base64.b64encode(b"Denies chest pain.").decode()
    document = {
        "resourceType": "DocumentReference",
        "status": "current",
        "description": "ED",
        "content": [{"attachment": {"contentType": "text/plain", "data": data}}],
    }
    assert document_text(document) == ("Denies chest pain.", "ED")
    with pytest.raises(FhirInputError) as raised:
        document_text({"resourceType": "DocumentReference", "content": []})
    assert "status" in raised.value.errors
    with pytest.raises(FhirInputError) as raised:
        document_text({**document, "content": [{"attachment": {"url": "http://x/y"}}]})
    assert "content.0.attachment.data" in raised.value.errors
    with pytest.raises(FhirInputError) as raised:
        document_text({"resourceType": "Patient"})
    assert "resourceType" in raised.value.errors
