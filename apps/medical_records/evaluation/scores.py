"""``evaluate_medical``: assertion and de-identification quality on the annotated sets in
``data/`` (or given files).

Assertions: each line's concept is matched against the extracted entities' labels and ontology
synonyms; a concept the pipeline misses counts as wrong (its prediction is "missed").
PHI: an identifier counts as found when the de-identified text no longer contains it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.ontology import is_chinese
from apps.medical_records.engine.pipeline import ASSERTIONS

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_ASSERTIONS = DATA / "eval_assertions.jsonl"
DEFAULT_PHI = DATA / "eval_phi.jsonl"
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
# The second held-out sets (made 2026-12-06, see ``make_heldout_v2``); the first ones are now the
# development set ``dev/v1_heldout/``.
HELDOUT = DATA / "heldout_v2"
HELDOUT_PHI = HELDOUT / "phi.jsonl"
HELDOUT_LOOKALIKES = HELDOUT / "lookalikes.jsonl"
# The second held-out assertion set's errors were printed by accident on 2026-12-07; the third
# (``make_heldout_v3``) replaced it as the default.
HELDOUT_ASSERTIONS = DATA / "heldout_v3" / "assertions.jsonl"
SEEN_HELDOUT_ASSERTIONS = HELDOUT / "assertions.jsonl"
HELDOUT_ENTITIES = (HELDOUT / "entities_en.jsonl", HELDOUT / "entities_zh.jsonl")


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return rows


def write_jsonl_sets(out: Path, sets: dict[str, list[dict]]) -> None:
    """Write each set (file name -> rows) as JSONL under ``out``; print each file's size."""
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in sets.items():
        with (out / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(rows))


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _names_of(extractor, entity: dict) -> set[str]:
    concept = extractor.concepts.get(entity["concept"])
    names = concept.names_casefolded() if concept else {entity["label"].casefold()}
    return names | {entity["text"].casefold()}


def assertion_scores(rows: list[dict], extractor, *, tenant_id=None) -> dict:
    """Accuracy, per-assertion and per-language precision/recall/F1, concept detection F1."""
    texts = list(dict.fromkeys(row["text"] for row in rows))
    extracted = dict(zip(texts, extractor.extract_many(texts, tenant_id=tenant_id), strict=True))
    annotated = defaultdict(set)
    for row in rows:
        annotated[row["text"]].add(row["concept"].casefold())
    details = []
    for row in rows:
        wanted = row["concept"].casefold()
        match = next(
            (e for e in extracted[row["text"]] if wanted in _names_of(extractor, e)),
            None,
        )
        details.append(
            {
                "text": row["text"],
                "concept": row["concept"],
                "gold": row["assertion"],
                "predicted": match["assertion"] if match else "missed",
                "language": row.get("language") or ("zh" if is_chinese(row["text"]) else "en"),
            }
        )
    report = {"n": len(details)}
    report["assertion_accuracy"] = round(
        sum(d["gold"] == d["predicted"] for d in details) / max(1, len(details)), 4
    )
    report["per_assertion"] = _per_class(details)
    report["assertion_macro_f1"] = round(
        sum(v["f1"] for v in report["per_assertion"].values()) / len(ASSERTIONS), 4
    )
    report["per_language"] = {}
    for language in sorted({d["language"] for d in details}):
        subset = [d for d in details if d["language"] == language]
        classes = _per_class(subset)
        report["per_language"][language] = {
            "n": len(subset),
            "accuracy": round(sum(d["gold"] == d["predicted"] for d in subset) / len(subset), 4),
            "macro_precision": round(sum(c["precision"] for c in classes.values()) / 6, 4),
            "macro_recall": round(sum(c["recall"] for c in classes.values()) / 6, 4),
            "macro_f1": round(sum(c["f1"] for c in classes.values()) / 6, 4),
        }
    # Concept detection: an annotated concept found is a true positive, one missed a false
    # negative; an extracted entity that none of its sentence's annotations names is a false
    # positive (sentences often name more than the annotated concept, so precision is a floor).
    found = sum(d["predicted"] != "missed" for d in details)
    predicted = sum(len(v) for v in extracted.values())
    extra = sum(
        1
        for text, entities in extracted.items()
        for e in entities
        if not (annotated[text] & _names_of(extractor, e))
    )
    precision = (predicted - extra) / predicted if predicted else 0.0
    recall = found / max(1, len(details))
    report["entity_precision"] = round(precision, 4)
    report["entity_recall"] = round(recall, 4)
    report["entity_f1"] = round(_f1(precision, recall), 4)
    report["errors"] = [d for d in details if d["gold"] != d["predicted"]]
    return report


def _per_class(details: list[dict]) -> dict:
    gold = Counter(d["gold"] for d in details)
    predicted = Counter(d["predicted"] for d in details)
    hits = Counter(d["gold"] for d in details if d["gold"] == d["predicted"])
    out = {}
    for label in ASSERTIONS:
        p = hits[label] / predicted[label] if predicted[label] else 0.0
        r = hits[label] / gold[label] if gold[label] else 0.0
        out[label] = {
            "n": gold[label],
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(_f1(p, r), 4),
        }
    return out


def phi_scores(rows: list[dict], pseudonymizer) -> dict:
    """Recall of planted identifiers per kind and language (found = no longer in the text)."""
    per_kind = defaultdict(lambda: [0, 0])
    per_language = defaultdict(lambda: [0, 0])
    split = defaultdict(lambda: [0, 0])  # (language, "names"/"identifiers") -> found, n
    missed = []
    for index, row in enumerate(rows):
        language = "zh" if is_chinese(row["text"]) else "en"
        result = deidentify(row["text"], pseudonym=pseudonymizer, date_offset_days=-(40 + index))
        for value, kind in row["phi"]:
            if kind not in PHI_KINDS:
                raise ValueError(f"PHI kind {kind!r} is not one of {', '.join(PHI_KINDS)}")
            hit = value not in result.text
            per_kind[kind][0] += hit
            per_kind[kind][1] += 1
            per_language[language][0] += hit
            per_language[language][1] += 1
            group = "names" if kind == "NAME" else "identifiers"
            split[(language, group)][0] += hit
            split[(language, group)][1] += 1
            if not hit:
                missed.append({"note": index + 1, "kind": kind, "value_length": len(value)})
    identifiers = [v for k, v in per_kind.items() if k != "NAME"]
    found_ids = sum(v[0] for v in identifiers)
    total_ids = sum(v[1] for v in identifiers)
    names = per_kind.get("NAME", [0, 0])
    pseudonymizer.pending.clear()  # nothing of the evaluation is stored
    return {
        "phi_recall_identifiers": round(found_ids / total_ids, 4) if total_ids else 0.0,
        "phi_recall_names": round(names[0] / names[1], 4) if names[1] else 0.0,
        "phi_per_kind": {
            k: {"found": v[0], "n": v[1], "recall": round(v[0] / v[1], 4)}
            for k, v in sorted(per_kind.items())
        },
        "phi_per_language": {
            k: {"found": v[0], "n": v[1], "recall": round(v[0] / v[1], 4)}
            for k, v in sorted(per_language.items())
        },
        "phi_notes": len(rows),
        "phi_items": sum(v[1] for v in per_kind.values()),
        "phi_by_language": {
            language: {
                f"phi_recall_{group}": round(
                    split[(language, group)][0] / split[(language, group)][1], 4
                )
                if split[(language, group)][1]
                else 0.0
                for group in ("names", "identifiers")
            }
            for language in sorted({language for language, _ in split})
        },
        "phi_missed": missed,
    }
