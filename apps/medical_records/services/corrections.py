"""Clinician corrections of extractions: applied to the stored extraction, audited, and read
back as the tenant's evaluation and training data; an error-rate report over time.

Kinds: ``wrong_span``, ``wrong_code``, ``wrong_assertion`` (an entity by id), ``missed_entity``
(a span and type), ``missed_phi`` (a span of the stored text that is still an identifier: it is
masked now with the tenant's pseudonym, and its value kept only encrypted).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from apps.accounts.models import Tenant
from apps.audit.services import audited
from apps.medical_records.engine.pipeline import ASSERTIONS
from apps.medical_records.models import Correction, CorrectionKind, Extraction, Note

from .identity import Pseudonymizer
from .notes import NoteInputError

ENTITY_TYPES = ("condition", "medication", "procedure", "test", "allergy")
PHI_KINDS = (
    "NAME",
    "DATE",
    "AGE",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "ID",
    "IP",
    "LOCATION",
    "ORGANIZATION",
)
CODE_SYSTEMS = ("ICD-10-CM", "SNOMED-CT", "LOINC", "ATC", "DrugBank", "GENERIC")
# Evaluation TYPE of an entity type (``evaluate_medical --entities``).
EVAL_TYPES = {
    "condition": "CONDITION",
    "medication": "MEDICATION",
    "procedure": "PROCEDURE",
    "test": "TEST",
    "allergy": "ALLERGY",
}


def correction_problems(note: Note, data: dict) -> dict[str, list[str]]:
    """What is wrong with a correction of ``note``, by field (empty when it fits)."""
    errors: dict[str, list[str]] = {}
    kind = data.get("kind")
    entities = {e["id"]: e for e in note.extraction.entities}
    if kind not in CorrectionKind.values:
        return {"kind": [f"One of {', '.join(CorrectionKind.values)}."]}
    if (
        kind in ("wrong_span", "wrong_code", "wrong_assertion")
        and data.get("entity_id") not in entities
    ):
        errors["entity_id"] = ["The id of one of this note's extracted entities."]
    if kind in ("wrong_span", "missed_entity", "missed_phi"):
        start, end = data.get("start"), data.get("end")
        if not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(note.text)
        ):
            errors["start"] = [f"start < end, both within the note's {len(note.text)} characters."]
    if (
        kind in ("wrong_code", "missed_entity")
        and data.get("code_system")
        and data["code_system"] not in CODE_SYSTEMS
    ):
        errors["code_system"] = [f"One of {', '.join(CODE_SYSTEMS)}."]
    if kind == "wrong_code" and not data.get("code"):
        errors["code"] = ["The right code."]
    if kind == "wrong_assertion" and data.get("assertion") not in ASSERTIONS:
        errors["assertion"] = [f"One of {', '.join(ASSERTIONS)}."]
    if kind == "missed_entity" and data.get("entity_type") not in ENTITY_TYPES:
        errors["entity_type"] = [f"One of {', '.join(ENTITY_TYPES)}."]
    if kind == "missed_phi" and data.get("phi_kind") not in PHI_KINDS:
        errors["phi_kind"] = [f"One of {', '.join(PHI_KINDS)}."]
    return errors


def correction_create(*, tenant, note: Note, user=None, **data) -> Correction:
    """Record a correction and apply it to the note's extraction (audited, one transaction).
    Raises NoteInputError naming the field when the correction does not fit the note."""
    errors = correction_problems(note, data)
    if errors:
        raise NoteInputError(errors)
    kind = data["kind"]
    with (
        audited(
            tenant=tenant,
            action=f"medical_records.correction.{kind}",
            resource_type="medical_records.note",
            resource_id=str(note.pk),
        ) as event,
        transaction.atomic(),
    ):
        extraction = Extraction.objects.select_for_update().get(pk=note.extraction.pk)
        note = Note.objects.select_for_update().get(pk=note.pk)
        correction = Correction(
            tenant=tenant,
            note=note,
            kind=kind,
            entity_id=data.get("entity_id") or "",
            start=data.get("start"),
            end=data.get("end"),
            entity_type=data.get("entity_type") or "",
            code_system=data.get("code_system") or "",
            code=data.get("code") or "",
            assertion=data.get("assertion") or "",
            phi_kind=data.get("phi_kind") or "",
            comment=(data.get("comment") or "")[:300],
            created_by=user if getattr(user, "pk", None) else None,
        )
        _apply(correction, note, extraction, tenant)
        correction.save()
        extraction.save(update_fields=["entities"])
        event.details = {"kind": kind, "entity_id": correction.entity_id}
    return correction


def _apply(correction: Correction, note: Note, extraction: Extraction, tenant) -> None:
    entities = extraction.entities
    entity = next((e for e in entities if e["id"] == correction.entity_id), None)
    if entity is not None:
        correction.before = {k: entity.get(k) for k in ("start", "end", "code", "assertion")}
    kind = correction.kind
    if kind == "wrong_span":
        entity.update(start=correction.start, end=correction.end)
        entity["text"] = note.text[correction.start : correction.end]
    elif kind == "wrong_code":
        system = correction.code_system or entity["code"].get("system", "")
        entity["code"] = {**entity["code"], "system": system, "code": correction.code}
    elif kind == "wrong_assertion":
        entity["assertion"] = correction.assertion
    elif kind == "missed_entity":
        entities.append(
            {
                "id": f"c{len(entities) + 1}",
                "text": note.text[correction.start : correction.end],
                "start": correction.start,
                "end": correction.end,
                "type": correction.entity_type,
                "label": note.text[correction.start : correction.end],
                "code": {"system": correction.code_system, "code": correction.code},
                "assertion": correction.assertion or "present",
                "found_by": "clinician",
                "attributes": {},
            }
        )
    elif kind == "missed_phi":
        value = note.text[correction.start : correction.end]
        pseudonymizer = Pseudonymizer(tenant)
        token = pseudonymizer(correction.phi_kind, value)
        pseudonymizer.save()
        correction.encrypted_value = value  # stored under the tenant's data key
        note.text = note.text[: correction.start] + token + note.text[correction.end :]
        delta = len(token) - len(value)
        for other in entities:
            if other["start"] >= correction.end:
                other["start"] += delta
                other["end"] += delta
        note.save(update_fields=["text"])


def corrections_as_eval_rows(*, tenant_slug: str) -> dict[str, list[dict]]:
    """The tenant's corrections as ``evaluate_medical`` rows: entity rows (``--entities``
    format) and PHI rows (the corrected value put back into its sentence, in memory only)."""
    tenant = Tenant.objects.get(slug=tenant_slug)
    entities, phi = [], []
    for correction in Correction.objects.filter(tenant=tenant).select_related("note__extraction"):
        note = correction.note
        if correction.kind == "missed_phi":
            token_end = note.text.find("]", correction.start) + 1
            value = correction.encrypted_value
            text = note.text[: correction.start] + value + note.text[token_end:]
            phi.append({"text": text, "phi": [[value, correction.phi_kind]]})
            continue
        entity = next(
            (e for e in note.extraction.entities if e["id"] == correction.entity_id), None
        )
        if correction.kind == "missed_entity":
            start, end, entity_type = correction.start, correction.end, correction.entity_type
        elif entity is not None:
            start, end, entity_type = entity["start"], entity["end"], entity["type"]
        else:
            continue
        code = correction.code or (entity or {}).get("code", {}).get("code", "")
        system = correction.code_system or (entity or {}).get("code", {}).get("system", "")
        eval_system = system if system in ("ICD-10-CM", "SNOMED-CT", "LOINC") else "GENERIC"
        accepted = [code] if eval_system != "GENERIC" else [(entity or {}).get("generic") or code]
        entities.append(
            {
                "text": note.text,
                "entities": [
                    [note.text[start:end], EVAL_TYPES[entity_type], eval_system, accepted]
                ],
            }
        )
    return {"entities": entities, "phi": phi}


def correction_error_report(*, tenant, weeks: int = 12) -> list[dict]:
    """Per ISO week: entities extracted, corrections made, and their ratio (error rate)."""
    extracted: dict[str, int] = defaultdict(int)
    corrected: dict[str, int] = defaultdict(int)
    for created, entities in Extraction.objects.filter(tenant=tenant).values_list(
        "created_at", "entities"
    ):
        extracted[_week(created)] += len(entities)
    for (created,) in Correction.objects.filter(tenant=tenant).values_list("created_at"):
        corrected[_week(created)] += 1
    rows = []
    for week in sorted(set(extracted) | set(corrected))[-weeks:]:
        total = extracted[week]
        rows.append(
            {
                "week": week,
                "entities": extracted[week],
                "corrections": corrected[week],
                "error_rate": round(corrected[week] / total, 4) if total else None,
            }
        )
    return rows


def _week(moment) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"
