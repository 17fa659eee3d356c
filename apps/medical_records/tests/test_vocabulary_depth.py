"""Full vocabularies, sections, clinical status and allergy coding on real-note shapes (issue
20's "Why"): the pipeline's own output, and the FHIR Bundle built from it."""

from __future__ import annotations

import pytest

from apps.medical_records.engine import vocabulary
from apps.medical_records.services import NoteInput, note_structure

DEMO_CONDITIONS = ("Essential (primary) hypertension", "Type 2 diabetes mellitus")
ZH_NOTE = (
    "主诉：胸闷3天。\n家族史：父亲有高血压。\n检查：血压 160/100 mmHg，血糖 9.8 mmol/L。\n"
    "诊断：高血压。\n过敏史：青霉素过敏。\n处理：继续氨氯地平。"
)


def test_the_vocabularies_are_complete():
    counts = vocabulary.counts()
    assert counts["ICD-10-CM leaves"] == 74_736
    assert counts["drugs (generic)"] >= 20_000
    assert counts["drug name variants"] >= 100_000


@pytest.mark.parametrize(
    ("text", "surface", "system", "code", "generic"),
    [
        ("Started apixaban 5 mg twice daily.", "apixaban", "ATC", "B01AF02", "apixaban"),
        ("Continue tiotropium inhaler.", "tiotropium", "ATC", "R03BB04", "tiotropium"),
        ("Ceftriaxone 1 g IV given.", "Ceftriaxone", "ATC", "J01DD04", "ceftriaxone"),
        ("Admitted with pyelonephritis.", "pyelonephritis", "ICD-10-CM", "N12", ""),
        ("Switched to Eliquis.", "Eliquis", "ATC", "B01AF02", "apixaban"),
        ("患者胸闷3天。", "胸闷", "ICD-10-CM", "R07.89", ""),
        ("予头孢曲松抗感染。", "头孢曲松", "ATC", "J01DD04", "ceftriaxone"),
    ],
)
def test_words_the_demo_ontology_missed_are_found_and_coded(
    extractor, text, surface, system, code, generic
):
    entity = next(e for e in extractor.extract(text) if e["text"] == surface)
    assert (entity["code"]["system"], entity["code"]["code"]) == (system, code)
    assert entity["generic"] == generic
    assert entity["found_by"] == "vocabulary"


def test_a_longer_vocabulary_term_wins_over_a_shorter_ontology_one(extractor):
    (entity,) = [e for e in extractor.extract("Runs of ventricular tachycardia.") if e["type"]]
    assert entity["text"] == "ventricular tachycardia"
    assert entity["code"]["code"].startswith("I47.2")


def test_items_under_plan_are_in_the_plan_section(extractor, demo_note):
    entities = {e["text"]: e for e in extractor.extract(demo_note)}
    assert entities["ECG"]["section"] == "observation_and_plan"
    assert entities["syncope"]["assertion"] == "hypothetical"


def test_a_short_chinese_header_ends_the_family_section(extractor):
    entities = extractor.extract(ZH_NOTE)
    measured = [e for e in entities if e["text"] in ("血压", "血糖")]
    assert [e["assertion"] for e in measured] == ["present", "present"]
    assert {e["section"] for e in measured} == {"physical_exam"}


def test_assertion_scope_never_crosses_a_section_header(extractor):
    text = "Family History: mother had asthma Exam: wheezing on auscultation."
    entities = {e["text"]: e for e in extractor.extract(text)}
    assert entities["asthma"]["assertion"] == "family"
    assert entities["wheezing"]["assertion"] == "present"


@pytest.mark.parametrize(
    "text", ["Allergies: penicillin.", "过敏史：青霉素过敏。", "Allergies: amoxicillin."]
)
def test_allergies_are_coded_in_icd_10_cm_in_both_languages(extractor, text):
    (allergy,) = [e for e in extractor.extract(text) if e["type"] == "allergy"]
    assert allergy["code"]["system"] == "ICD-10-CM"
    assert allergy["code"]["code"] == "Z88.0"


def test_history_of_alone_does_not_make_a_condition_inactive(extractor, demo_note):
    entities = {e["text"]: e for e in extractor.extract(demo_note)}
    diabetes = entities["type 2 diabetes"]
    assert diabetes["assertion"] == "historical"
    assert diabetes["clinical_status"] == "active"
    assert diabetes["status_evidence"] == "current medication: metformin"
    assert entities["hypertension"]["clinical_status"] == "active"
    resolved = extractor.extract("History of pyelonephritis in 2010, resolved.")
    assert resolved[0]["clinical_status"] == "resolved"


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.django_db
def test_the_demo_note_exports_its_conditions_as_active(tenant, demo_note):
    note = note_structure(tenant=tenant, item=NoteInput(text=demo_note), source="api")
    conditions = {
        c["code"]["coding"][0]["display"]: c
        for c in _resources(note.extraction.fhir_bundle, "Condition")
    }
    for label in DEMO_CONDITIONS:
        condition = next(c for name, c in conditions.items() if name.startswith(label))
        assert condition["clinicalStatus"]["coding"][0]["code"] == "active"


@pytest.mark.django_db
def test_chinese_measurements_reach_the_bundle_as_observations(tenant):
    note = note_structure(tenant=tenant, item=NoteInput(text=ZH_NOTE), source="api")
    observations = _resources(note.extraction.fhir_bundle, "Observation")
    codes = {o["code"]["coding"][0]["code"] for o in observations}
    assert {"85354-9", "2345-7"} <= codes
    (allergy,) = _resources(note.extraction.fhir_bundle, "AllergyIntolerance")
    assert allergy["code"]["coding"][0]["code"] == "Z88.0"
