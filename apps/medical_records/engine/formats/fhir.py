"""FHIR R4B in and out, through ``fhir.resources.R4B``.

Out: a ``collection`` Bundle of a pseudonymised Patient, an Encounter, Conditions (negated
findings ``verificationStatus`` refuted, historical ones' ``clinicalStatus`` from evidence
(active unless resolved), uncertain ones provisional), FamilyMemberHistory for family
findings, Observations (tests with their values), MedicationStatements (dose, route,
frequency), AllergyIntolerances, Procedures and a Provenance naming the pipeline version.
Validated before it is returned or stored.

In: a DocumentReference whose first attachment holds the note (base64 ``data``).
"""

from __future__ import annotations

import base64
import binascii
import uuid

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.documentreference import DocumentReference
from pydantic import ValidationError

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
PSEUDONYM_SYSTEM = "urn:platform:medical-records:pseudonym"
UCUM = "http://unitsofmeasure.org"


class FhirInputError(ValueError):
    """A DocumentReference that does not validate or holds no text; ``errors`` by path."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in errors.items()))
        self.errors = errors


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _concept(entity: dict) -> dict:
    code = entity["code"]
    coding = (
        [{"system": code["uri"], "code": code["code"], "display": entity["label"]}]
        if code.get("code")
        else []
    )
    return {"coding": coding, "text": entity["label"]}


def _status(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}


def _condition(entity, subject, encounter) -> dict | None:
    assertion = entity["assertion"]
    resource = {
        "resourceType": "Condition",
        "subject": subject,
        "encounter": encounter,
        "code": _concept(entity),
        "note": [{"text": f"assertion: {assertion}"}],
    }
    if assertion == "negated":
        resource["verificationStatus"] = _status(CONDITION_VERIFICATION, "refuted")
    elif assertion == "historical":
        # From evidence (nlp/clinical.py): "history of" alone does not make it inactive.
        status = entity.get("clinical_status") or "active"
        resource["clinicalStatus"] = _status(CONDITION_CLINICAL, status)
        resource["verificationStatus"] = _status(CONDITION_VERIFICATION, "confirmed")
    elif assertion == "uncertain":
        resource["clinicalStatus"] = _status(CONDITION_CLINICAL, "active")
        resource["verificationStatus"] = _status(CONDITION_VERIFICATION, "provisional")
    elif assertion == "present":
        resource["clinicalStatus"] = _status(CONDITION_CLINICAL, "active")
        resource["verificationStatus"] = _status(CONDITION_VERIFICATION, "confirmed")
    else:  # hypothetical: nothing is asserted about the patient
        return None
    return resource


def _observation(entity, subject, encounter) -> dict | None:
    if entity["assertion"] in ("negated", "hypothetical", "family"):
        return None
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": _concept(entity),
        "subject": subject,
        "encounter": encounter,
    }
    attributes = entity.get("attributes") or {}
    unit = attributes.get("unit")
    if "value" in attributes:
        quantity = {"value": attributes["value"]}
        if unit:
            quantity.update(unit=unit, system=UCUM, code=unit)
        resource["valueQuantity"] = quantity
    elif "components" in attributes:  # blood pressure
        names = (("8480-6", "Systolic blood pressure"), ("8462-4", "Diastolic blood pressure"))
        resource["component"] = [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": c, "display": d}]},
                "valueQuantity": {
                    "value": v,
                    "unit": unit or "mmHg",
                    "system": UCUM,
                    "code": "mm[Hg]",
                },
            }
            for (c, d), v in zip(names, attributes["components"][:2], strict=False)
        ]
    return resource


def _medication(entity, subject) -> dict | None:
    if entity["assertion"] in ("family", "hypothetical"):
        return None
    status = {"negated": "not-taken", "historical": "completed"}.get(entity["assertion"], "active")
    resource = {
        "resourceType": "MedicationStatement",
        "status": status,
        "subject": subject,
        "medicationCodeableConcept": _concept(entity),
    }
    attributes = entity.get("attributes") or {}
    dosage: dict = {}
    text = " ".join(
        str(part)
        for part in (
            f"{attributes['dose']['value']:g} {attributes['dose']['unit']}"
            if "dose" in attributes
            else "",
            attributes.get("route", ""),
            attributes.get("frequency", ""),
        )
        if part
    )
    if text:
        dosage["text"] = text
    if "route" in attributes:
        dosage["route"] = {"text": attributes["route"]}
    if "dose" in attributes:
        dosage["doseAndRate"] = [
            {
                "doseQuantity": {
                    "value": attributes["dose"]["value"],
                    "unit": attributes["dose"]["unit"],
                }
            }
        ]
    if attributes.get("per_day"):
        dosage["timing"] = {
            "repeat": {
                "frequency": max(1, round(attributes["per_day"])),
                "period": 1,
                "periodUnit": "d",
            }
        }
    if dosage:
        resource["dosage"] = [dosage]
    return resource


def _allergy(entity, patient) -> dict | None:
    if entity["assertion"] in ("family", "hypothetical"):
        return None
    refuted = entity["assertion"] == "negated"
    return {
        "resourceType": "AllergyIntolerance",
        "patient": patient,
        "code": _concept(entity),
        "clinicalStatus": _status(ALLERGY_CLINICAL, "inactive" if refuted else "active"),
        "verificationStatus": _status(ALLERGY_VERIFICATION, "refuted" if refuted else "confirmed"),
    }


def _procedure(entity, subject, encounter) -> dict | None:
    status = {"negated": "not-done", "hypothetical": "preparation", "uncertain": "unknown"}.get(
        entity["assertion"], "completed"
    )
    if entity["assertion"] == "family":
        return None
    return {
        "resourceType": "Procedure",
        "status": status,
        "code": _concept(entity),
        "subject": subject,
        "encounter": encounter,
    }


def _family(entity, patient) -> dict:
    return {
        "resourceType": "FamilyMemberHistory",
        "status": "completed",
        "patient": patient,
        "relationship": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                    "code": "FAMMEMB",
                    "display": "family member",
                }
            ]
        },
        "condition": [{"code": _concept(entity)}],
    }


def bundle_build(
    *,
    note_id: str,
    patient_pseudonym: str,
    entities: list[dict],
    recorded: str,
    pipeline_version: str,
) -> dict:
    """The note's Bundle as a validated JSON-ready dict."""
    patient_urn, encounter_urn = _urn(), _urn()
    subject = {"reference": patient_urn}
    encounter = {"reference": encounter_urn}
    entries = [
        {
            "fullUrl": patient_urn,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": PSEUDONYM_SYSTEM, "value": patient_pseudonym}],
                "name": [{"text": patient_pseudonym}],
            },
        },
        {
            "fullUrl": encounter_urn,
            "resource": {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                    "display": "ambulatory",
                },
                "subject": subject,
                "identifier": [{"system": "urn:platform:medical-records:note", "value": note_id}],
            },
        },
    ]
    for entity in entities:
        kind = entity["type"]
        if kind == "condition":
            resource = (
                _family(entity, subject)
                if entity["assertion"] == "family"
                else _condition(entity, subject, encounter)
            )
        elif kind == "test":
            resource = _observation(entity, subject, encounter)
        elif kind == "medication":
            resource = _medication(entity, subject)
        elif kind == "allergy":
            resource = _allergy(entity, subject)
        elif kind == "procedure":
            resource = _procedure(entity, subject, encounter)
        else:
            resource = None
        if resource is not None:
            entries.append({"fullUrl": _urn(), "resource": resource})
    targets = [{"reference": entry["fullUrl"]} for entry in entries]
    entries.append(
        {
            "fullUrl": _urn(),
            "resource": {
                "resourceType": "Provenance",
                "target": targets,
                "recorded": recorded,
                "agent": [
                    {
                        "type": {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                    "code": "assembler",
                                }
                            ]
                        },
                        "who": {"display": pipeline_version},
                    }
                ],
                "policy": ["urn:platform:medical-records:deidentified"],
            },
        }
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": recorded,
        "entry": entries,
    }
    return bundle_validate(bundle)


def bundle_validate(bundle: dict) -> dict:
    """Validate with fhir.resources (raises pydantic's ValidationError) and return the bundle.

    The input dict is returned rather than ``model_dump()``: it is already plain JSON, and
    dumping the validated model cost as much again as validating it."""
    Bundle.model_validate(bundle)
    return bundle


def document_text(document: dict) -> tuple[str, str]:
    """(text, title) of a FHIR R4B DocumentReference; FhirInputError names the failing path."""
    if not isinstance(document, dict) or document.get("resourceType") != "DocumentReference":
        raise FhirInputError({"resourceType": ["Expected a DocumentReference resource."]})
    try:
        reference = DocumentReference.model_validate(document)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"]) or "resource"
            errors.setdefault(path, []).append(error["msg"])
        raise FhirInputError(errors) from None
    texts = []
    for index, content in enumerate(reference.content or []):
        attachment = content.attachment
        if attachment.contentType and not attachment.contentType.startswith("text/"):
            raise FhirInputError(
                {
                    f"content.{index}.attachment.contentType": [
                        "Only text/* attachments can be read."
                    ]
                }
            )
        if attachment.data is None:
            raise FhirInputError(
                {
                    f"content.{index}.attachment.data": [
                        "The note text must be inline (base64 data); URLs are not fetched."
                    ]
                }
            )
        raw = attachment.data
        try:
            data = raw if isinstance(raw, bytes) else base64.b64decode(raw, validate=True)
            texts.append(data.decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            raise FhirInputError(
                {f"content.{index}.attachment.data": ["Not base64-encoded UTF-8 text."]}
            ) from None
    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise FhirInputError({"content": ["The DocumentReference holds no text."]})
    return text, (reference.description or "")[:200]
