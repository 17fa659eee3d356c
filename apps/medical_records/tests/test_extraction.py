"""Extraction: each assertion kind in English and Chinese, entity types with attributes, the
ontology code and its system, the section and the rule that found it."""

from __future__ import annotations

import pytest

from apps.medical_records.services import extractor_for, medical_graph

pytestmark = pytest.mark.django_db

CASES = [
    ("Patient presents with cough and fever.", "cough", "present"),
    ("Denies chest pain or palpitations.", "chest pain", "negated"),
    ("History of myocardial infarction in 2015.", "myocardial infarction", "historical"),
    ("Mother has type 2 diabetes.", "type 2 diabetes", "family"),
    ("Return to the ED if chest pain recurs.", "chest pain", "hypothetical"),
    ("Possible pneumonia on the left base.", "pneumonia", "uncertain"),
    ("患者今日出现发热。", "发热", "present"),
    ("否认胸痛。", "胸痛", "negated"),
    ("既往有高血压病史10年。", "高血压", "historical"),
    ("母亲患有糖尿病。", "糖尿病", "family"),
    ("如出现呼吸困难，立即就诊。", "呼吸困难", "hypothetical"),
    ("考虑肺炎可能。", "肺炎", "uncertain"),
]


@pytest.fixture
def extractor(tenant):
    return extractor_for(medical_graph(tenant=tenant))[0]


@pytest.mark.parametrize("text,surface,assertion", CASES, ids=[c[0][:24] for c in CASES])
def test_each_assertion_in_both_languages(extractor, text, surface, assertion):
    entities = extractor.extract(text)
    found = [e for e in entities if e["text"] == surface]
    assert found, entities
    assert found[0]["assertion"] == assertion


def test_entities_carry_type_code_section_attributes_and_rule(extractor, demo_note):
    entities = {e["text"]: e for e in extractor.extract(demo_note)}
    metformin = entities["metformin"]
    assert metformin["type"] == "medication"
    assert metformin["code"] == {
        "system": "ATC",
        "uri": "http://www.whocc.no/atc",
        "hl7": "WC",
        "code": "A10BA02",
    }
    assert metformin["attributes"] == {
        "dose": {"value": 1500.0, "unit": "mg"},
        "route": "oral",
        "frequency": "bid",
        "per_day": 2,
        "daily_dose": 3000.0,
    }
    assert metformin["section"] == "medications"
    assert metformin["rule"]["target"] == "Metformin"
    assert entities["warfarin"]["attributes"].get("route") is None  # "PO" belongs to others
    hba1c = entities["HbA1c"]
    assert (hba1c["type"], hba1c["attributes"]["value"], hba1c["attributes"]["unit"]) == (
        "test",
        8.2,
        "%",
    )
    assert hba1c["code"]["system"] == "LOINC"
    assert entities["BP"]["attributes"]["components"] == [150.0, 95.0]
    chest = entities["chest pain"]
    assert chest["code"]["system"] == "ICD-10-CM" and chest["code"]["code"] == "R07.9"
    assert chest["assertion"] == "negated"
    assert chest["rule"]["context"][0]["category"] == "NEGATED_EXISTENCE"
    assert entities["appendectomy"]["type"] == "procedure"
    assert entities["appendectomy"]["code"]["system"] == "SNOMED CT"
    assert entities["appendectomy"]["assertion"] == "historical"
    assert entities["breast cancer"]["assertion"] == "family"
    # "Allergies: penicillin" is an allergy, not a drug taken
    assert entities["penicillin"]["type"] == "allergy"
    text = demo_note
    assert all(text[e["start"] : e["end"]] == e["text"] for e in entities.values())


def test_chinese_medication_attributes(extractor):
    entities = extractor.extract("目前用药：口服二甲双胍0.5克 每日两次。血钾3.1mmol/L。")
    drug = next(e for e in entities if e["type"] == "medication")
    assert drug["attributes"]["dose"] == {"value": 0.5, "unit": "g"}
    assert drug["attributes"]["per_day"] == 2
    potassium = next(e for e in entities if e["type"] == "test")
    assert potassium["attributes"]["value"] == 3.1
    assert potassium["language"] == "zh"
