"""Structuring notes: de-identify, extract, check, build the FHIR Bundle, store. One path for a
single note over the API and for every row of a bulk job (``notes_structure``)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audited, input_digest
from apps.medical_records.engine.deid import deidentify, header_mrn, header_names
from apps.medical_records.engine.formats.fhir import bundle_build
from apps.medical_records.engine.ontology import concepts_from_networkx, is_chinese
from apps.medical_records.engine.pipeline import PIPELINE_VERSION, Extractor
from apps.medical_records.models import Extraction, Finding, Note, NoteBatch, Patient
from knowledge.models import Graph
from knowledge.selectors import graph_networkx, graph_version
from knowledge.services.seeds import seed_graph_ensure

from . import ner
from .checks import record_check, rules_for
from .identity import Pseudonymizer, offset_days, patients_resolve

MAX_NOTE_CHARS = 100_000
# The longest note structured inside one request; longer ones go to a batch job (413 says so).
# Measured: structuring costs about 0.75 ms a character on the issue-18 machine (94,500
# characters took 70.8 s, near gunicorn's 120 s time-out) and 0.78-0.93 ms a character here
# from 2,500 to 20,000 characters (load average about 10 on 2 cores; 18.5 s for 20,000).
# 20,000 characters keep a request around 15 s, an eighth of the time-out. Settings may lower
# it (MEDICAL_SYNC_NOTE_MAX_CHARS).
SYNC_NOTE_MAX_CHARS = 20_000
BATCH_ENDPOINT = "/api/v1/medical/batches/"
LANGUAGES = ("en", "zh")


class NoteInputError(ValueError):
    """A note that cannot be structured; ``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class NoteInput:
    """One note as it arrives (identifiers still in it)."""

    text: str
    language: str = ""
    title: str = ""
    patient_name: str = ""
    mrn: str = ""

    def check(self, prefix: str = "") -> None:
        errors = {}
        if not isinstance(self.text, str) or not self.text.strip():
            errors[f"{prefix}text"] = ["A non-empty note text is required."]
        elif len(self.text) > MAX_NOTE_CHARS:
            errors[f"{prefix}text"] = [f"At most {MAX_NOTE_CHARS} characters."]
        if self.language and self.language not in LANGUAGES:
            errors[f"{prefix}language"] = [f"One of {', '.join(LANGUAGES)} (or leave it out)."]
        if errors:
            raise NoteInputError(errors)


# ------------------------------------------------------------------ ontology and pipeline
# Pipelines by the content of the ontology they were built from: a graph's new version (or
# another tenant's identical seed graph) with the same concepts reuses the built pipeline.
_extractors: dict[str, Extractor] = {}
_extractors_lock = threading.Lock()
MAX_EXTRACTORS = 4


def medical_graph(*, tenant):
    """The tenant's ``medical`` knowledge graph, loaded from the seed when it has none."""
    graph = Graph.objects.filter(tenant=tenant, name="medical").first()
    if graph is None:
        graph, _ = seed_graph_ensure(tenant=tenant, seed="medical")
    return graph


def _concepts_digest(concepts) -> str:
    digest = hashlib.sha256()
    for key in sorted(concepts):
        concept = concepts[key]
        digest.update(
            repr(
                (
                    key,
                    concept.node_type,
                    concept.label,
                    concept.aliases,
                    sorted(concept.properties.items()),
                )
            ).encode()
        )
    return digest.hexdigest()


def extractor_for(graph) -> tuple[Extractor, object, int]:
    """The pipeline for the graph's current concepts (built once per process), the networkx
    graph and its version."""
    nx_graph = graph_networkx(graph)
    version = graph_version(graph)
    concepts = concepts_from_networkx(nx_graph)
    key = _concepts_digest(concepts)
    extractor = _extractors.get(key)
    if extractor is None:
        with _extractors_lock:
            extractor = _extractors.get(key)
            if extractor is None:
                extractor = Extractor(concepts, model_spans=ner.model_spans)
                while len(_extractors) >= MAX_EXTRACTORS:
                    _extractors.pop(next(iter(_extractors)))
                _extractors[key] = extractor
    return extractor, nx_graph, version


# ------------------------------------------------------------------ structuring
@dataclass
class _Prepared:
    note: Note
    identity: tuple[str, str] | None


def _prepare(item: NoteInput, pseudonymizer: Pseudonymizer, *, tenant, source, batch):
    language = item.language or ("zh" if is_chinese(item.text) else "en")
    names = header_names(item.text)
    patient_name = item.patient_name or (names[0] if names else "")
    mrn = item.mrn or header_mrn(item.text)
    identity = pseudonymizer.patient_identity(mrn=mrn, name=patient_name)
    if identity is not None:
        offset = offset_days(identity[0])
    else:  # no patient named: the note's own offset, still fixed for the same text
        offset = offset_days(hashlib.sha256(pseudonymizer.key + item.text.encode()).hexdigest())
    extra = [n for n in (item.patient_name,) if n]
    result = deidentify(
        item.text, pseudonym=pseudonymizer, date_offset_days=offset, language=language, names=extra
    )
    title = (
        deidentify(
            item.title,
            pseudonym=pseudonymizer,
            date_offset_days=offset,
            language=language,
            names=[*names, *extra],
        ).text
        if item.title
        else ""
    )
    note = Note(
        tenant=tenant,
        batch=batch,
        source=source,
        language=language,
        title=title[:200],
        text=result.text,
        phi_counts=result.counts(),
        phi_spans=result.replacements,
    )
    return _Prepared(note, identity)


def notes_structure(
    *,
    tenant,
    items: list[NoteInput],
    source: str,
    batch: NoteBatch | None = None,
    checks: bool = True,
) -> list[Note]:
    """De-identify, extract, check and store ``items``; one audit event for all of them.

    Nothing identifying is stored: the note text is the de-identified one, and the values behind
    its pseudonyms go to the encrypted mapping.
    """
    for index, item in enumerate(items):
        item.check(prefix=f"notes[{index}]." if len(items) > 1 else "")
    graph = medical_graph(tenant=tenant)
    extractor, nx_graph, version = extractor_for(graph)
    rules = rules_for(tenant=tenant) if checks else []
    pseudonymizer = Pseudonymizer(tenant)
    prepared = [
        _prepare(item, pseudonymizer, tenant=tenant, source=source, batch=batch) for item in items
    ]
    # On de-identified text only: the NER model runs on the inference worker.
    entity_lists = extractor.extract_many(
        [p.note.text for p in prepared],
        [p.note.language for p in prepared],
        tenant_id=str(tenant.pk),
    )
    now = timezone.now()
    recorded = now.isoformat()
    with audited(
        tenant=tenant,
        action="medical_records.note.structure",
        resource_type="medical_records.note",
    ) as event:
        pseudonymizer.save()
        patients = patients_resolve(
            tenant=tenant, identities=dict(p.identity for p in prepared if p.identity)
        )
        extractions, findings = [], []
        for entry, entities in zip(prepared, entity_lists, strict=True):
            note = entry.note
            patient: Patient | None = patients.get(entry.identity[0]) if entry.identity else None
            note.patient = patient
            bundle = bundle_build(
                note_id=str(note.pk),
                patient_pseudonym=patient.pseudonym if patient else "[NAME-unknown]",
                entities=entities,
                recorded=recorded,
                pipeline_version=PIPELINE_VERSION,
            )
            extractions.append(
                Extraction(
                    tenant=tenant,
                    note=note,
                    pipeline_version=PIPELINE_VERSION,
                    graph_version=version,
                    entities=entities,
                    fhir_bundle=bundle,
                )
            )
            for finding in record_check(entities, nx_graph, rules):
                findings.append(Finding(tenant=tenant, note=note, **finding))
        notes = [p.note for p in prepared]
        Note.objects.bulk_create(notes, batch_size=500)
        Extraction.objects.bulk_create(extractions, batch_size=500)
        Finding.objects.bulk_create(findings, batch_size=500)
        event.row_count = len(notes)
        event.resource_id = (
            str(notes[0].pk) if len(notes) == 1 else (str(batch.pk) if batch else "")
        )
        event.input_digest = input_digest(tenant=tenant, data=[n.text for n in notes])
        event.details = {
            "source": source,
            "findings": len(findings),
            "entities": sum(len(e) for e in entity_lists),
            "pipeline": PIPELINE_VERSION,
            "graph_version": version,
        }
    return notes


def note_structure(*, tenant, item: NoteInput, source: str) -> Note:
    """One note (API, upload, HL7 v2, FHIR DocumentReference)."""
    return notes_structure(tenant=tenant, items=[item], source=source)[0]


def note_delete(*, tenant, note: Note) -> None:
    """Delete a note with its extraction and findings (audited)."""
    with (
        audited(
            tenant=tenant,
            action="medical_records.note.delete",
            resource_type="medical_records.note",
            resource_id=str(note.pk),
        ),
        transaction.atomic(),
    ):
        note.delete()
