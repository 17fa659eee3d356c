"""Checks declared as data (YAML; see ``data/checks.yaml``) over one structured record and the
ontology graph: contradictions, drug-allergy and drug-condition conflicts, drug-drug
interactions, doses outside a range. Each finding names its rule, a severity and the evidence
spans (entity ids and offsets in the de-identified text)."""

from __future__ import annotations

import functools
from itertools import combinations
from pathlib import Path

import yaml

from apps.medical_records.models import CheckRuleSet

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "checks.yaml"
KINDS = ("contradiction", "drug_allergy", "drug_condition", "drug_drug", "dose_range")
SEVERITIES = ("low", "medium", "high")
_UNIT_TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "µg": 0.001, "ug": 0.001}


class RuleSetError(ValueError):
    """A rule set that does not parse or validate; ``errors`` name the rule and field."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def rules_parse(definition: str) -> list[dict]:
    """Parse and validate a YAML (or JSON) rule set."""
    try:
        data = yaml.safe_load(definition)
    except yaml.YAMLError as exc:
        raise RuleSetError([f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleSetError(["a mapping with a 'rules' list is required"])
    errors, seen = [], set()
    for index, rule in enumerate(data["rules"]):
        where = f"rules[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{where}: must be a mapping")
            continue
        if not rule.get("id"):
            errors.append(f"{where}.id: required")
        elif rule["id"] in seen:
            errors.append(f"{where}.id: {rule['id']!r} is used twice")
        seen.add(rule.get("id"))
        if rule.get("kind") not in KINDS:
            errors.append(f"{where}.kind: one of {', '.join(KINDS)}")
        if rule.get("severity") not in SEVERITIES:
            errors.append(f"{where}.severity: one of {', '.join(SEVERITIES)}")
        if rule.get("kind") == "dose_range":
            if not str(rule.get("drug", "")).startswith("drug:"):
                errors.append(f"{where}.drug: a drug node key such as 'drug:metformin'")
            if rule.get("unit") not in _UNIT_TO_MG:
                errors.append(f"{where}.unit: one of {', '.join(_UNIT_TO_MG)}")
            bounds = [rule.get(b) for b in ("min", "max", "max_daily") if rule.get(b) is not None]
            if not bounds or not all(isinstance(b, int | float) for b in bounds):
                errors.append(f"{where}: numeric min, max or max_daily required")
        elif rule.get("kind") in KINDS and not rule.get("edge_type"):
            errors.append(f"{where}.edge_type: required")
    if errors:
        raise RuleSetError(errors)
    return data["rules"]


@functools.cache
def default_rules() -> tuple:
    return tuple(rules_parse(DEFAULT_RULES.read_text(encoding="utf-8")))


def rules_for(*, tenant) -> list[dict]:
    """The tenant's active rule sets (together), or the shipped default."""
    sets = CheckRuleSet.objects.filter(tenant=tenant, active=True).order_by("name")
    rules = []
    for rule_set in sets:
        rules.extend(rules_parse(rule_set.definition))
    return rules or list(default_rules())


def _evidence(*entities) -> list[dict]:
    return [
        {
            "entity": e["id"],
            "text": e["text"],
            "start": e["start"],
            "end": e["end"],
            "concept": e["concept"],
            "assertion": e["assertion"],
        }
        for e in entities
    ]


def _edges(graph, a: str, b: str, edge_type: str, directed: bool) -> dict | None:
    for source, target in ((a, b), (b, a)) if not directed else ((a, b),):
        data = (
            graph.get_edge_data(source, target, key=edge_type) if graph.has_node(source) else None
        )
        if data is not None:
            return data
    return None


def _dose_in(unit_from: str, value: float, unit_to: str) -> float | None:
    if unit_from not in _UNIT_TO_MG:
        return None
    return value * _UNIT_TO_MG[unit_from] / _UNIT_TO_MG[unit_to]


def record_check(entities: list[dict], graph, rules) -> list[dict]:
    """Findings for one note's entities (dicts of ``Finding``'s fields)."""
    findings = []
    for rule in rules:
        kind = rule["kind"]
        counted = set(rule.get("assertions") or ["present"])
        if kind == "contradiction":
            pool = [e for e in entities if e["type"] == "condition" and e["assertion"] in counted]
            pairs = combinations(pool, 2)
            for a, b in pairs:
                if (
                    a["concept"] != b["concept"]
                    and _edges(graph, a["concept"], b["concept"], rule["edge_type"], False)
                    is not None
                ):
                    findings.append(
                        _finding(
                            rule, f"{a['label']} and {b['label']} are both asserted present", a, b
                        )
                    )
        elif kind in ("drug_allergy", "drug_condition", "drug_drug"):
            drugs = [
                e
                for e in entities
                if e["type"] == "medication"
                and e["assertion"] in (counted | {"present"}) - {"negated"}
            ]
            if kind == "drug_drug":
                others = drugs
            else:
                wanted = "allergy" if kind == "drug_allergy" else "condition"
                others = [
                    e for e in entities if e["type"] == wanted and e["assertion"] == "present"
                ]
            seen = set()
            for a in drugs:
                for b in others:
                    pair = tuple(sorted((a["id"], b["id"])))
                    if a is b or (kind == "drug_drug" and pair in seen):
                        continue
                    data = None
                    if a["concept"] == b["concept"]:
                        # "Allergies: penicillin" and penicillin prescribed
                        if kind == "drug_allergy":
                            data = {
                                "properties": {"reason": "the drug itself is listed as an allergy"}
                            }
                    else:
                        data = _edges(
                            graph,
                            a["concept"],
                            b["concept"],
                            rule["edge_type"],
                            directed=kind != "drug_drug",
                        )
                    if data is None and kind == "drug_allergy" and b["concept"].startswith("drug:"):
                        data = _same_allergy(graph, a["concept"], b["concept"], rule["edge_type"])
                    if data is None:
                        continue
                    seen.add(pair)
                    why = data.get("properties") or {}
                    reason = why.get("reason") or why.get("effect") or rule["edge_type"]
                    findings.append(
                        _finding(rule, f"{a['label']} with {b['label']}: {reason}", a, b)
                    )
        elif kind == "dose_range":
            for e in entities:
                if e["type"] != "medication" or e["concept"] != rule["drug"]:
                    continue
                dose = (e.get("attributes") or {}).get("dose")
                if not dose:
                    continue
                single = _dose_in(dose["unit"], dose["value"], rule["unit"])
                if single is None:
                    continue
                per_day = (e.get("attributes") or {}).get("per_day")
                problems = []
                if rule.get("min") is not None and single < rule["min"]:
                    problems.append(f"dose {single:g} {rule['unit']} below {rule['min']:g}")
                if rule.get("max") is not None and single > rule["max"]:
                    problems.append(f"dose {single:g} {rule['unit']} above {rule['max']:g}")
                if (
                    per_day
                    and rule.get("max_daily") is not None
                    and single * per_day > rule["max_daily"]
                ):
                    problems.append(
                        f"daily dose {single * per_day:g} {rule['unit']} above "
                        f"{rule['max_daily']:g}"
                    )
                if problems:
                    findings.append(_finding(rule, f"{e['label']}: " + "; ".join(problems), e))
    return findings


def _same_allergy(graph, drug: str, allergic_drug: str, edge_type: str) -> dict | None:
    """A drug and the drug named as an allergy share an allergy they are contraindicated
    with (amoxicillin and "allergic to penicillin V" both meet allergy:penicillin)."""
    if not (graph.has_node(drug) and graph.has_node(allergic_drug)):
        return None
    for _, allergy, key, data in graph.out_edges(drug, keys=True, data=True):
        if (
            key == edge_type
            and allergy.startswith("allergy:")
            and graph.get_edge_data(allergic_drug, allergy, key=edge_type) is not None
        ):
            return data
    return None


def _finding(rule, message, *entities) -> dict:
    return {
        "kind": rule["kind"],
        "rule": rule["id"],
        "severity": rule["severity"],
        "message": message[:300],
        "evidence": _evidence(*entities),
    }
