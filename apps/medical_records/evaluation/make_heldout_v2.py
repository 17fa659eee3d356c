"""Writes the second held-out sets, ``data/heldout_v2/`` (run once; the JSONL is committed).

    python -m apps.medical_records.evaluation.make_heldout_v2

Made on 2026-12-06 because the first held-out sets (now ``data/dev/v1_heldout/``, a development
set) had been scored before a development set existed. These were written and committed before
any pipeline change of the session that made them, with their own seed, templates, terms and
names (``v2_terms.py``, ``v2_names.py``); the checks below drop every term of the old demo
ontology and of any earlier set, and every name of the census lists the gazetteer uses or of an
earlier set, and verify every gold ICD-10-CM code against the CMS tabular. Nothing here runs the
pipeline.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import simple_icd_10_cm as icd

from apps.medical_records.evaluation import set_names, set_terms, v2_names, v2_terms
from apps.medical_records.evaluation.make_sets import _demo_surfaces
from apps.medical_records.evaluation.set_names import _census_words, _zh_detector_surnames

DATA = Path(__file__).resolve().parents[1] / "data"
OUT = DATA / "heldout_v2"
SEED = 61206


def _earlier_terms() -> set[str]:
    terms = set()
    for term in set_terms.EN_TERMS + set_terms.ZH_TERMS + set_terms.DEV_EN_TERMS:
        terms.add(term[0].casefold())
    for term in set_terms.DEV_ZH_TERMS:
        terms.add(term[0].casefold())
    for path in [*DATA.glob("eval_*.jsonl"), *DATA.glob("dev/**/*.jsonl")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "concept" in row:
                terms.add(row["concept"].casefold())
            for entity in row.get("entities", []):
                terms.add(entity[0].casefold())
    return terms


def terms():
    """(en conditions, zh conditions, en drugs, zh drugs, dropped) after the disjointness checks."""
    excluded = _demo_surfaces() | _earlier_terms()
    dropped = []
    en_c, zh_c, en_m, zh_m = [], [], [], []
    for en, zh, kind, codes in v2_terms.CONDITIONS:
        for code in codes:
            if not icd.is_valid_item(code):
                raise SystemExit(f"gold code {code} of {en} is not an ICD-10-CM code")
        if en.casefold() in excluded:
            dropped.append(en)
        else:
            en_c.append((en, kind, v2_terms.ICD, codes))
        if zh in excluded:
            dropped.append(zh)
        else:
            zh_c.append((zh, kind, v2_terms.ICD, codes))
    for en, zh, names in v2_terms.MEDICATIONS:
        if en.casefold() in excluded:
            dropped.append(en)
        else:
            en_m.append((en, v2_terms.M, v2_terms.GEN, names))
        if zh and zh in excluded:
            dropped.append(zh)
        elif zh:
            zh_m.append((zh, v2_terms.M, v2_terms.GEN, names))
    return en_c, zh_c, en_m, zh_m, dropped


def names():
    earlier = {w.casefold() for w in set_names.EN_GIVEN + set_names.EN_FAMILY}
    census = _census_words()
    given = [w for w in v2_names.EN_GIVEN if w.casefold() not in census | earlier]
    family = [w for w in v2_names.EN_FAMILY if w.casefold() not in census | earlier]
    clashes = sorted(set(v2_names.EN_GIVEN + v2_names.EN_FAMILY) - set(given) - set(family))
    used = _zh_detector_surnames() + set_names.ZH_SURNAMES_HELDOUT
    zh_surnames = [s for s in v2_names.ZH_SURNAMES if s not in used]
    overlap = set(v2_names.ZH_GIVEN) & set(set_names.ZH_GIVEN)
    if overlap:
        raise SystemExit(f"given-name characters of an earlier set: {overlap}")
    return given, family, zh_surnames, clashes


def build():
    """The rows of every set (file name → rows), the dropped terms and the dropped names."""
    rng = random.Random(SEED)
    en_c, zh_c, en_m, zh_m, dropped = terms()
    given, family, zh_surnames, clashes = names()
    sets = {
        "entities_en.jsonl": v2_terms.entity_rows(en_c, en_m, v2_terms.EN_ENTITY_TEMPLATES, rng),
        "entities_zh.jsonl": v2_terms.entity_rows(zh_c, zh_m, v2_terms.ZH_ENTITY_TEMPLATES, rng),
        "assertions.jsonl": v2_terms.assertion_rows(
            en_c, v2_terms.EN_ASSERTION_TEMPLATES, "en", rng
        )
        + v2_terms.assertion_rows(zh_c, v2_terms.ZH_ASSERTION_TEMPLATES, "zh", rng),
        "phi.jsonl": v2_names.phi_rows(rng, given, family, zh_surnames),
        "lookalikes.jsonl": v2_names.lookalike_rows(rng, given, family, zh_surnames),
    }
    return sets, dropped, clashes, zh_surnames


def main() -> None:
    sets, dropped, clashes, zh_surnames = build()
    OUT.mkdir(exist_ok=True)
    for filename, rows in sets.items():
        with (OUT / filename).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(filename, len(rows))
    print("terms dropped (demo ontology or an earlier set):", dropped)
    print("names dropped (census lists or an earlier set):", clashes)
    print("Chinese surnames used:", "".join(zh_surnames))


if __name__ == "__main__":
    main()
