"""Clinical status from evidence, and allergies coded in one code system in both languages.

Clinical status of a condition (FHIR ``Condition.clinicalStatus``):
- present or uncertain: active;
- historical: resolved when its sentence says so ("resolved", "in remission", "已治愈"); else
  active, with the evidence: a current medication for it (``data/vocabulary/treats.tsv``: ATC
  class -> ICD-10-CM prefixes), a mention in the assessment, diagnoses or plan, or only the
  history list ("history of" alone does not make a condition inactive).

Allergies: ICD-10-CM Z88 ("allergy status to ...") in English and Chinese alike; a drug allergy
found as a drug (ATC) is recoded by the drug's ATC class, and the drug's code is kept as the
allergy's ``substance``.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from .vocabulary import DATA

_RESOLVED = regex.compile(
    r"(?i:\bresolved\b|\bin remission\b|\bcured\b|\bno longer\b|\bresolution of\b)"
    r"|已治愈|已愈|治愈|痊愈|已缓解|已消失"
)
ACTIVE_SECTIONS = {"observation_and_plan", "diagnoses", "problem_list", "plan", "assessment"}
# ATC prefix -> ICD-10-CM Z88 code (allergy status to ...), most specific prefix first.
ALLERGY_BY_ATC = (
    ("J01C", "Z88.0"),  # penicillins
    ("J01E", "Z88.2"),  # sulfonamides
    ("J01", "Z88.1"),  # other antibiotics
    ("J", "Z88.3"),  # other anti-infectives
    ("N01", "Z88.4"),  # anaesthetics
    ("N02A", "Z88.5"),  # narcotic (opioid) agents
    ("N02", "Z88.6"),  # analgesics
    ("M01", "Z88.6"),  # NSAIDs
    ("J07", "Z88.7"),  # vaccines
)
ALLERGY_OTHER = "Z88.8"
ICD_URI = "http://hl7.org/fhir/sid/icd-10-cm"


@lru_cache(maxsize=1)
def treats() -> list[tuple[str, tuple[str, ...]]]:
    """(ATC prefix, ICD-10-CM prefixes) rules, longest prefix first."""
    rules = []
    for line in (DATA / "treats.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            prefix, conditions = line.split("\t")
            rules.append((prefix, tuple(c.strip() for c in conditions.split(","))))
    return sorted(rules, key=lambda r: -len(r[0]))


def _atc(entity: dict) -> str:
    code = entity.get("code") or {}
    return code.get("code", "") if code.get("system") == "ATC" else ""


def add_clinical_status(entities: list[dict], text: str) -> None:
    """Set ``clinical_status`` and ``status_evidence`` on each condition (in place)."""
    medications = [
        e for e in entities if e["type"] == "medication" and e["assertion"] in ("present",)
    ]
    active_mentions = {
        e["concept"]
        for e in entities
        if e["type"] == "condition"
        and e["assertion"] in ("present", "uncertain")
        and e.get("section") in ACTIVE_SECTIONS
    }
    for entity in entities:
        if entity["type"] != "condition":
            continue
        assertion = entity["assertion"]
        if assertion in ("present", "uncertain"):
            entity["clinical_status"], entity["status_evidence"] = "active", assertion
            continue
        if assertion != "historical":
            continue
        sentence = text[entity["sentence"][0] : entity["sentence"][1]]
        if _RESOLVED.search(sentence):
            entity["clinical_status"], entity["status_evidence"] = "resolved", "resolved"
            continue
        drug = _treating_drug(entity, medications)
        if drug:
            entity["clinical_status"] = "active"
            entity["status_evidence"] = f"current medication: {drug}"
        elif entity["concept"] in active_mentions:
            entity["clinical_status"], entity["status_evidence"] = "active", "assessment"
        else:
            entity["clinical_status"] = "active"
            entity["status_evidence"] = "history only; nothing says it resolved"


def _treating_drug(condition: dict, medications: list[dict]) -> str:
    code = (condition.get("code") or {}).get("code", "")
    for medication in medications:
        atc = _atc(medication)
        for prefix, conditions in treats():
            if atc.startswith(prefix) and code.startswith(conditions):
                return medication.get("generic") or medication["label"]
    return ""


def code_allergy(entity: dict) -> None:
    """Recode an allergy found as a drug to ICD-10-CM Z88 (in place)."""
    code = entity.get("code") or {}
    if code.get("system") == "ICD-10-CM":
        return
    atc = _atc(entity)
    z88 = next((z for prefix, z in ALLERGY_BY_ATC if atc.startswith(prefix)), ALLERGY_OTHER)
    entity["substance"] = {**code, "generic": entity.get("generic", "")}
    entity["code"] = {"system": "ICD-10-CM", "uri": ICD_URI, "hl7": "I10C", "code": z88}
