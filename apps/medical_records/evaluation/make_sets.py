"""Writes the first held-out sets (run once; the JSONL is committed). They were scored before a
development set existed, so since 2026-12-06 they are a development set, ``dev/v1_heldout/``;
``evaluate_medical`` reports the second held-out sets (``make_heldout_v2``).

    python -m apps.medical_records.evaluation.make_sets

Sets: ``v1_heldout/entities_{en,zh}.jsonl``, ``v1_heldout/phi.jsonl``,
``v1_heldout/lookalikes.jsonl``, ``v1_heldout/assertions.jsonl``. Terms are
clinical words outside the old demo ontology (checked below against the seed's labels and
aliases); names come from lists checked to be disjoint from every list the detectors use (the
census name files of ``names`` and the Chinese surname list of the recognizers). Sentences are
written from templates with a fixed seed, so the files are reproducible. The development sets
that tuning used are ``eval_phi.jsonl`` and ``eval_assertions*.jsonl`` (older, demo-ontology).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from apps.medical_records.evaluation.set_names import (
    check_names,
    dev_lookalike_rows,
    lookalike_rows,
    phi_rows,
)
from apps.medical_records.evaluation.set_terms import (
    DEV_EN_TERMS,
    DEV_ZH_TERMS,
    EN_TEMPLATES,
    EN_TERMS,
    ZH_TEMPLATES,
    ZH_TERMS,
    assertion_rows,
    entity_rows,
)

HERE = Path(__file__).resolve().parents[1] / "data"
OUT = HERE / "dev" / "v1_heldout"
ROOT = Path(__file__).resolve().parents[3]


def _demo_surfaces() -> set[str]:
    surfaces = set()
    with (ROOT / "knowledge/seeds/medical/nodes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            surfaces.add(row["label"].casefold())
            surfaces |= {a.casefold() for a in row["aliases"].split("|") if a}
    return surfaces


def main() -> None:
    rng = random.Random(20)
    demo = _demo_surfaces()
    heldout_terms = EN_TERMS + ZH_TERMS
    inside = [t[0] for t in heldout_terms if t[0].casefold() in demo]
    overlap = {t[0] for t in heldout_terms} & {t[0] for t in DEV_EN_TERMS + DEV_ZH_TERMS}
    if overlap:
        raise SystemExit(f"terms in both the development and the held-out set: {overlap}")
    if inside:
        raise SystemExit(f"terms inside the old demo ontology: {inside}")
    OUT.mkdir(parents=True, exist_ok=True)
    sets = {
        "entities_en.jsonl": entity_rows(EN_TERMS, EN_TEMPLATES, rng),
        "entities_zh.jsonl": entity_rows(ZH_TERMS, ZH_TEMPLATES, rng),
        "phi.jsonl": phi_rows(rng),
        "lookalikes.jsonl": lookalike_rows(),
        "assertions.jsonl": assertion_rows(rng),
    }
    sets["../entities_en.jsonl"] = entity_rows(DEV_EN_TERMS, EN_TEMPLATES, rng)
    sets["../entities_zh.jsonl"] = entity_rows(DEV_ZH_TERMS, ZH_TEMPLATES, rng)
    sets["../assertions.jsonl"] = assertion_rows(rng, DEV_EN_TERMS, DEV_ZH_TERMS)
    sets["../lookalikes.jsonl"] = dev_lookalike_rows()
    for filename, rows in sets.items():
        with (OUT / filename).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(filename, len(rows))
    print("names clashing with the census lists (left out):", check_names()[2])


if __name__ == "__main__":
    main()
