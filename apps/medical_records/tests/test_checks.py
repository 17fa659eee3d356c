"""Checks declared as data: contradictions, drug-allergy, drug-condition, drug-drug, dose
range; each finding with a severity and evidence spans; YAML validated; tenant rule sets."""

from __future__ import annotations

import pytest

from apps.medical_records.models import CheckRuleSet
from apps.medical_records.services import (
    NoteInput,
    RuleSetError,
    note_structure,
    rules_parse,
)

pytestmark = pytest.mark.django_db


def _findings(tenant, text):
    note = note_structure(tenant=tenant, item=NoteInput(text=text), source="api")
    return {f.kind: f for f in note.findings.all()}, note


def test_contradictory_conditions_asserted_present(tenant):
    findings, note = _findings(tenant, "Assessment: hypertension. Also hypotension on standing.")
    finding = findings["contradiction"]
    assert finding.severity == "high"
    spans = [(e["start"], e["end"]) for e in finding.evidence]
    assert [note.text[s:e] for s, e in spans] == ["hypertension", "hypotension"]


def test_no_contradiction_when_one_side_is_negated(tenant):
    findings, _ = _findings(tenant, "Hypertension. No hypotension.")
    assert "contradiction" not in findings


def test_drug_allergy_conflict(tenant):
    findings, _ = _findings(tenant, "Penicillin allergy. Started amoxicillin 500 mg PO tid.")
    assert findings["drug_allergy"].severity == "high"
    assert "anaphylaxis" in findings["drug_allergy"].message
    assert {e["concept"] for e in findings["drug_allergy"].evidence} == {
        "drug:amoxicillin",
        "allergy:penicillin",
    }


def test_drug_drug_interaction_and_drug_condition(tenant):
    findings, _ = _findings(
        tenant, "Asthma. Takes warfarin 5 mg daily, aspirin 81 mg daily and propranolol 40 mg bid."
    )
    assert "bleeding" in findings["drug_drug"].message
    assert "bronchospasm" in findings["drug_condition"].message


def test_dose_outside_the_range(tenant):
    findings, _ = _findings(tenant, "Metformin 1500 mg PO bid.")
    finding = findings["dose_range"]
    assert "above 1000" in finding.message and "daily dose 3000" in finding.message
    findings, _ = _findings(tenant, "Metformin 500 mg PO bid.")
    assert "dose_range" not in findings
    findings, _ = _findings(tenant, "Levothyroxine 0.5 mg daily.")  # 500 mcg, converted
    assert "above 300" in findings["dose_range"].message


def test_a_tenant_rule_set_replaces_the_default(tenant):
    CheckRuleSet.objects.create(
        tenant=tenant,
        name="only doses",
        definition=(
            "rules:\n  - {id: tight-metformin, kind: dose_range, drug: 'drug:metformin', unit: mg, "
            "max: 250, severity: low}\n"
        ),
    )
    findings, _ = _findings(tenant, "Warfarin 5 mg daily, aspirin 81 mg daily, metformin 500 mg.")
    assert set(findings) == {"dose_range"}
    assert findings["dose_range"].rule == "tight-metformin"


@pytest.mark.parametrize(
    "definition,error",
    [
        ("rules: [", "not valid YAML"),
        ("{}", "'rules' list"),
        ("rules:\n  - {id: a, kind: nonsense, severity: high}", "rules[0].kind"),
        (
            "rules:\n  - {id: a, kind: dose_range, drug: metformin, unit: mg, max: 1, "
            "severity: low}",
            "rules[0].drug",
        ),
        (
            "rules:\n  - {id: a, kind: drug_drug, severity: urgent, edge_type: x}",
            "rules[0].severity",
        ),
    ],
)
def test_invalid_rule_sets_name_rule_and_field(definition, error):
    with pytest.raises(RuleSetError) as raised:
        rules_parse(definition)
    assert any(error in message for message in raised.value.errors)
