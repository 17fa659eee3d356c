"""Entity recall, precision and coding accuracy (``--entities``), PHI precision on the
look-alike set, and the per-language split of PHI recall, for ``evaluate_medical``.

Entities: an annotated span counts as found when an extracted entity overlaps it with the same
type family (CONDITION/SYMPTOM -> condition, MEDICATION -> medication, ...). Coding over the
found ones: ICD-10-CM when the code starts with an accepted code (``I48`` accepts ``I48.91``),
SNOMED-CT and LOINC when it is one of them, GENERIC when the normalised English generic name
equals one (case-insensitive). PHI precision: of the spans the de-identification replaced on
the look-alike set, the share that overlaps a planted identifier (drug names and eponyms there
must stay).
"""

from __future__ import annotations

from collections import defaultdict

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.ontology import is_chinese

TYPE_FAMILIES = {
    "CONDITION": "condition",
    "SYMPTOM": "condition",
    "MEDICATION": "medication",
    "PROCEDURE": "procedure",
    "TEST": "test",
    "ALLERGY": "allergy",
}
SYSTEMS = ("ICD-10-CM", "SNOMED-CT", "LOINC", "GENERIC")


def check_entity_rows(rows: list[dict], path: str) -> None:
    """Raise ValueError naming the line and field of a malformed row."""
    for number, row in enumerate(rows, start=1):
        if not isinstance(row.get("text"), str) or not isinstance(row.get("entities"), list):
            raise ValueError(f"{path}:{number}: needs text and entities")
        for item in row["entities"]:
            if not (isinstance(item, list) and len(item) == 4):
                raise ValueError(f"{path}:{number}: entities are [span, TYPE, SYSTEM, [codes]]")
            if item[1] not in TYPE_FAMILIES:
                raise ValueError(
                    f"{path}:{number}: TYPE {item[1]!r} is not one of {', '.join(TYPE_FAMILIES)}"
                )
            if item[2] not in SYSTEMS:
                raise ValueError(
                    f"{path}:{number}: SYSTEM {item[2]!r} is not one of {', '.join(SYSTEMS)}"
                )


def _code_matches(entity: dict, system: str, accepted: list[str]) -> bool:
    if system == "GENERIC":
        generic = (entity.get("generic") or "").casefold().replace(", and ", " / ")
        generic = generic.replace(" and ", " / ")
        return generic in {a.casefold() for a in accepted}
    code = (entity.get("code") or {}).get("code", "")
    if system == "ICD-10-CM":
        return (entity.get("code") or {}).get("system") == "ICD-10-CM" and any(
            code.startswith(a) for a in accepted
        )
    return code in accepted


def _spans_of(text: str, value: str) -> list[tuple[int, int]]:
    out, position = [], text.find(value)
    while position >= 0:
        out.append((position, position + len(value)))
        position = text.find(value, position + 1)
    return out


def entity_scores(rows: list[dict], extractor, *, tenant_id=None) -> dict:
    """entity_recall, entity_precision, coding_accuracy, overall and per language."""
    texts = [row["text"] for row in rows]
    extracted = extractor.extract_many(texts, tenant_id=tenant_id)
    tallies = defaultdict(lambda: {"gold": 0, "found": 0, "coded": 0, "predicted": 0, "true": 0})
    misses = []
    for row, entities in zip(rows, extracted, strict=True):
        language = "zh" if is_chinese(row["text"]) else "en"
        gold_spans = []
        for span_text, entity_type, system, accepted in row["entities"]:
            family = TYPE_FAMILIES[entity_type]
            spans = _spans_of(row["text"], span_text)
            gold_spans += [(s, e, family) for s, e in spans]
            match = next(
                (
                    e
                    for e in entities
                    if _family(e) == family
                    and any(e["start"] < end and start < e["end"] for start, end in spans)
                ),
                None,
            )
            for key in (language, "all"):
                tallies[key]["gold"] += 1
                tallies[key]["found"] += match is not None
                tallies[key]["coded"] += bool(match and _code_matches(match, system, accepted))
            if match is None or not _code_matches(match, system, accepted):
                misses.append(
                    {"text": row["text"], "span": span_text, "got": match and match["code"]}
                )
        for e in entities:
            hit = any(
                e["start"] < end and start < e["end"] and _family(e) == fam
                for start, end, fam in gold_spans
            )
            for key in (language, "all"):
                tallies[key]["predicted"] += 1
                tallies[key]["true"] += hit
    report = {}
    for key, t in tallies.items():
        report[key] = {
            "entity_mentions": t["gold"],
            "entity_recall": round(t["found"] / t["gold"], 4) if t["gold"] else 0.0,
            "entity_precision": round(t["true"] / t["predicted"], 4) if t["predicted"] else 0.0,
            "coding_accuracy": round(t["coded"] / t["found"], 4) if t["found"] else 0.0,
        }
    report["misses"] = misses
    return report


def _family(entity: dict) -> str:
    return {
        "medication": "medication",
        "allergy": "allergy",
        "procedure": "procedure",
        "test": "test",
    }.get(entity["type"], "condition")


def phi_precision(rows: list[dict], pseudonymizer) -> dict:
    """Span precision of de-identification on notes with planted look-alikes."""
    replaced = true = kept = lookalike_total = 0
    per_language = defaultdict(lambda: [0, 0])
    for index, row in enumerate(rows):
        text = row["text"]
        language = "zh" if is_chinese(text) else "en"
        result = deidentify(text, pseudonym=pseudonymizer, date_offset_days=-(7 + index))
        gold = [span for value, _ in row["phi"] for span in _spans_of(text, value)]
        for item in result.replacements:
            hit = any(item["start"] < e and s < item["end"] for s, e in gold)
            replaced += 1
            true += hit
            per_language[language][0] += hit
            per_language[language][1] += 1
        for value in row.get("lookalikes", []):
            lookalike_total += 1
            kept += value in result.text
    pseudonymizer.pending.clear()
    return {
        "phi_precision": round(true / replaced, 4) if replaced else 0.0,
        "lookalikes_kept": round(kept / lookalike_total, 4) if lookalike_total else 0.0,
        "lookalike_notes": len(rows),
        "per_language": {
            k: round(v[0] / v[1], 4) if v[1] else 0.0 for k, v in sorted(per_language.items())
        },
    }
