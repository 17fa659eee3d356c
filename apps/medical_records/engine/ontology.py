"""The medical ontology as the extraction pipeline sees it: concepts read from the tenant's
``medical`` knowledge graph (labels, aliases in English and Chinese, codes).

Code systems, by node type:
- condition, symptom, allergy: ICD-10-CM (property ``icd10cm``);
- drug: WHO ATC (property ``atc``);
- procedure: SNOMED CT (property ``snomed``);
- test: LOINC (property ``loinc``; ``unit`` is the usual UCUM unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

# node type -> entity type of an extraction
ENTITY_TYPES = {
    "condition": "condition",
    "symptom": "condition",
    "drug": "medication",
    "procedure": "procedure",
    "test": "test",
    "allergy": "allergy",
}

# node type -> (code system name, FHIR/URI system, HL7 v2 coding-system id (table 0396), property)
CODE_SYSTEMS = {
    "condition": ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm", "I10C", "icd10cm"),
    "symptom": ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm", "I10C", "icd10cm"),
    "allergy": ("ICD-10-CM", "http://hl7.org/fhir/sid/icd-10-cm", "I10C", "icd10cm"),
    "drug": ("ATC", "http://www.whocc.no/atc", "WC", "atc"),
    "procedure": ("SNOMED CT", "http://snomed.info/sct", "SCT", "snomed"),
    "test": ("LOINC", "http://loinc.org", "LN", "loinc"),
}

_HAN = regex.compile(r"\p{Han}")


@dataclass(frozen=True)
class Concept:
    """One ontology node that extraction can find in text."""

    key: str
    node_type: str
    label: str
    aliases: tuple[str, ...]
    properties: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def entity_type(self) -> str:
        return ENTITY_TYPES[self.node_type]

    @property
    def code(self) -> dict:
        system, uri, hl7, prop = CODE_SYSTEMS[self.node_type]
        return {"system": system, "uri": uri, "hl7": hl7, "code": self.properties.get(prop, "")}

    def surfaces(self, chinese: bool) -> list[str]:
        """The label and aliases written in one script (Chinese or not)."""
        names = [self.label, *self.aliases]
        if self.properties.get("name_zh"):
            names.append(self.properties["name_zh"])
        out = []
        for name in names:
            if name and bool(_HAN.search(name)) == chinese and name not in out:
                out.append(name)
        return out

    def names_casefolded(self) -> set[str]:
        names = {self.label, *self.aliases, self.properties.get("name_zh", "")}
        return {n.casefold() for n in names if n}


def concepts_from_networkx(graph) -> dict[str, Concept]:
    """Every node of an extractable type, by key."""
    concepts = {}
    for key, attrs in graph.nodes(data=True):
        if attrs.get("type") not in ENTITY_TYPES:
            continue
        # The full vocabularies are matched by the vocabulary matcher, not by target rules.
        if (attrs.get("properties") or {}).get("source") == "vocabulary":
            continue
        concepts[key] = Concept(
            key=key,
            node_type=attrs["type"],
            label=attrs.get("label") or key,
            aliases=tuple(attrs.get("aliases") or ()),
            properties=dict(attrs.get("properties") or {}),
        )
    return concepts


def is_chinese(text: str) -> bool:
    """Chinese when Han characters outnumber Latin letters."""
    han = len(_HAN.findall(text))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return han > 0 and han >= latin / 2
