"""The chat model's summary of a de-identified note, grounded in the extracted entities.

The prompt holds only the de-identified text and the entity list. Every condition the summary
names is looked up with the same extraction pipeline; one that is not among the note's
entities is flagged (the model added it), as is one the note negated but the summary states.
"""

from __future__ import annotations

from apps.audit.services import audited, input_digest
from apps.medical_records.models import Extraction

from .notes import extractor_for, medical_graph

MAX_NEW_TOKENS = 160
SYSTEM = (
    "You summarise clinical notes for clinicians. Use only the facts given. Mention only "
    "conditions from the list of findings, with their status. Two or three sentences."
)


def _prompt(extraction: Extraction) -> list[dict]:
    facts = (
        "\n".join(f"- {e['label']} ({e['type']}): {e['assertion']}" for e in extraction.entities)
        or "- none"
    )
    note = extraction.note.text[:3000]
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Findings:\n{facts}\n\nNote:\n{note}\n\nSummary:"},
    ]


def summary_flags(summary: str, entities: list[dict], extractor) -> list[dict]:
    """Conditions named in ``summary`` that the note's entities do not support."""
    found = {e["concept"]: e for e in entities}
    flags = []
    for mention in extractor.extract(summary):
        if mention["type"] != "condition":
            continue
        source = found.get(mention["concept"])
        if source is None:
            flags.append(
                {
                    "concept": mention["concept"],
                    "label": mention["label"],
                    "text": mention["text"],
                    "start": mention["start"],
                    "end": mention["end"],
                    "reason": "not among the extracted entities",
                }
            )
        elif source["assertion"] == "negated" and mention["assertion"] == "present":
            flags.append(
                {
                    "concept": mention["concept"],
                    "label": mention["label"],
                    "text": mention["text"],
                    "start": mention["start"],
                    "end": mention["end"],
                    "reason": "the note negates it",
                }
            )
    return flags


def extraction_summarize(*, tenant, extraction: Extraction, model: str = "chat") -> Extraction:
    """Ask the chat model (through ``models_runtime.client``) for a summary, flag unsupported
    conditions, store both; audited with the model's name and revision."""
    from models_runtime import client

    messages = _prompt(extraction)
    result = client.chat(
        messages,
        tenant_id=str(tenant.pk),
        model=model,
        max_new_tokens=MAX_NEW_TOKENS,
        temperature=0,
    )
    summary = (result.output.get("text") or "").strip()
    extractor, _, _ = extractor_for(medical_graph(tenant=tenant))
    flags = summary_flags(summary, extraction.entities, extractor)
    with audited(
        tenant=tenant,
        action="medical_records.extraction.summarize",
        resource_type="medical_records.extraction",
        resource_id=str(extraction.pk),
    ) as event:
        event.model_name, event.model_revision = result.model, result.revision
        event.input_digest = input_digest(tenant=tenant, data=messages)
        event.details = {"flags": len(flags), "tokens_out": result.tokens_out}
        extraction.summary = summary
        extraction.summary_model = f"{result.model}@{result.revision}"[:200]
        extraction.summary_flags = flags
        extraction.save(update_fields=["summary", "summary_model", "summary_flags"])
    return extraction
