"""The chat model's summary of a de-identified note, grounded in the extracted entities.

The prompt holds only the de-identified text and the entity list. Every condition, medication,
finding and procedure the summary names is looked up with the same extraction pipeline and
matched to the note's entities and their assertions; one that is absent is flagged (the model
added it), as is one the note negated but the summary does not. Repeated sentences are cut.
A summary with a flag is marked unsafe; with the offline default model it is made safe by
dropping the flagged sentences, or replaced by a template-made summary of the entities.
"""

from __future__ import annotations

import regex

from apps.audit.services import audited, input_digest
from apps.medical_records.models import Extraction
from models_runtime import client

from .notes import extractor_for, medical_graph

MAX_NEW_TOKENS = 160
# The offline default chat model: its summaries fall back to the template when unsafe.
DEFAULT_MODEL = "chat"
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


_SENTENCE = regex.compile(r"[^.!?。！？\n]+[.!?。！？]?")
_NEGATED_OK = {"negated"}


def _flag(mention: dict, reason: str) -> dict:
    return {
        "concept": mention["concept"],
        "label": mention["label"],
        "text": mention["text"],
        "start": mention["start"],
        "end": mention["end"],
        "reason": reason,
    }


def summary_flags(summary: str, entities: list[dict], extractor, *, tenant_id=None) -> list[dict]:
    """Conditions, medications, findings and procedures named in ``summary`` that the note's
    entities do not support: absent from them, negated in the note but not in the summary
    ("possible chest pain" of a denied chest pain), or the family's or hypothetical in the note
    but stated as the patient's."""
    by_concept = {e["concept"]: e for e in entities}
    by_label = {e["label"].casefold(): e for e in entities}
    by_text = {e["text"].casefold(): e for e in entities}
    flags = []
    for mention in extractor.extract(summary, tenant_id=tenant_id):
        source = (
            by_concept.get(mention["concept"])
            or by_label.get(mention["label"].casefold())
            or by_text.get(mention["text"].casefold())
        )
        if source is None:
            flags.append(_flag(mention, "not among the extracted entities"))
        elif source["assertion"] == "negated" and mention["assertion"] not in _NEGATED_OK:
            flags.append(_flag(mention, "the note negates it"))
        elif source["assertion"] in ("family", "hypothetical") and mention["assertion"] in (
            "present",
            "historical",
        ):
            flags.append(_flag(mention, f"the note says it is {source['assertion']}"))
    return flags


def cut_repetitions(summary: str) -> tuple[str, list[dict]]:
    """The summary with each repeated sentence kept once, and a flag per repeated sentence."""
    seen: dict[str, int] = {}
    kept = []
    for match in _SENTENCE.finditer(summary):
        sentence = match.group().strip()
        if not sentence:
            continue
        key = regex.sub(r"\W+", " ", sentence).strip().casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            kept.append(sentence)
    flags = [
        {"reason": f"sentence repeated {count} times; kept once", "text": key[:80]}
        for key, count in seen.items()
        if count > 1
    ]
    return " ".join(kept), flags


def template_summary(entities: list[dict]) -> str:
    """A structured summary of the extracted entities, made without a model."""
    groups: dict[str, list[str]] = {}
    for entity in entities:
        if entity["assertion"] == "hypothetical":
            continue
        key = {"negated": "denied", "family": "family history"}.get(entity["assertion"])
        key = key or {"medication": "medications", "allergy": "allergies"}.get(entity["type"])
        key = key or ("tests" if entity["type"] == "test" else "findings")
        label = (
            entity["label"]
            if entity["assertion"] in ("present", "negated", "family")
            else (f"{entity['label']} ({entity['assertion']})")
        )
        if label not in groups.setdefault(key, []):
            groups[key].append(label)
    order = ("findings", "denied", "family history", "medications", "allergies", "tests")
    parts = [f"{key.capitalize()}: {', '.join(groups[key])}." for key in order if groups.get(key)]
    return " ".join(parts) or "No findings were extracted."


def summary_check(
    summary: str, entities: list[dict], extractor, *, fallback: bool = True, tenant_id=None
):
    """(shown summary, flags, unsafe, source). Repeated sentences are cut; sentences that carry
    a flag are dropped; when nothing safe is left and ``fallback`` is on (the offline default
    model), the template summary is shown instead. ``unsafe`` says whether the shown summary
    still carries a flag (only without ``fallback``)."""
    text, repeat_flags = cut_repetitions(summary)
    flags = summary_flags(text, entities, extractor, tenant_id=tenant_id)
    if not flags:
        return text, repeat_flags, False, "model"
    if not fallback:
        return text, repeat_flags + flags, True, "model"
    flagged_spans = [(f["start"], f["end"]) for f in flags]
    safe = [
        m.group().strip()
        for m in _SENTENCE.finditer(text)
        if m.group().strip() and not any(m.start() <= s < m.end() for s, _ in flagged_spans)
    ]
    if safe and not summary_flags(" ".join(safe), entities, extractor, tenant_id=tenant_id):
        return " ".join(safe), repeat_flags + flags, False, "model (flagged sentences removed)"
    return template_summary(entities), repeat_flags + flags, False, "template"


def extraction_summarize(*, tenant, extraction: Extraction, model: str = "chat") -> Extraction:
    """Ask the chat model (through ``models_runtime.client``) for a summary, flag unsupported
    conditions, store both; audited with the model's name and revision."""
    messages = _prompt(extraction)
    result = client.chat(
        messages,
        tenant_id=str(tenant.pk),
        model=model,
        max_new_tokens=MAX_NEW_TOKENS,
        temperature=0,
    )
    raw = (result.output.get("text") or "").strip()
    extractor, _, _ = extractor_for(medical_graph(tenant=tenant))
    summary, flags, unsafe, source = summary_check(
        raw,
        extraction.entities,
        extractor,
        fallback=model == DEFAULT_MODEL,
        tenant_id=str(tenant.pk),
    )
    with audited(
        tenant=tenant,
        action="medical_records.extraction.summarize",
        resource_type="medical_records.extraction",
        resource_id=str(extraction.pk),
    ) as event:
        event.model_name, event.model_revision = result.model, result.revision
        event.input_digest = input_digest(tenant=tenant, data=messages)
        event.details = {
            "flags": len(flags),
            "tokens_out": result.tokens_out,
            "unsafe": unsafe,
            "source": source,
        }
        extraction.summary = summary
        extraction.summary_model = f"{result.model}@{result.revision} · {source}"[:200]
        extraction.summary_flags = flags
        extraction.summary_unsafe = unsafe
        extraction.save(
            update_fields=["summary", "summary_model", "summary_flags", "summary_unsafe"]
        )
    return extraction
