"""Precision of the name and place models on clinical words, from the development sets'
errors: Chinese drug names read as people or places by LAC, English drug names cut into word
pieces, clinical abbreviations read as organisations. Names beside them are still masked."""

from __future__ import annotations

import pytest

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.lookalikes import whole_words
from apps.medical_records.engine.zh_lookalikes import is_chinese_lookalike


def _deid(text: str):
    return deidentify(text, pseudonym=lambda kind, value: f"[{kind}]", date_offset_days=5)


@pytest.mark.parametrize(
    "text",
    [
        "患者因高钙血症入院，予比索洛尔治疗。",
        "既往诊断睡眠呼吸暂停，长期口服度洛西汀。",
        "诊断：急性肾损伤。处理：继续恩格列净。",
        "门诊就诊，主诉耳鸣，目前用药：加巴喷丁。",
        "既往诊断支气管扩张，长期口服坦索罗辛。",
        "She reports diverticulitis for three days and takes amiodarone at home.",
        "Admitted with pneumothorax; started diltiazem overnight.",
        "ECG without evidence of atrial fibrillation.",
        "CT head negative for stroke.",
        "Suspected UTI, urine culture pending.",
    ],
)
def test_clinical_words_are_not_masked(text):
    result = _deid(text)
    assert result.text == text and result.replacements == []


@pytest.mark.parametrize(
    ("text", "name", "kept"),
    [
        ("服用比索洛尔和地高辛，女儿裴若溪在场。", "裴若溪", ["比索洛尔", "地高辛"]),
        ("库欣综合征已排除，哥哥骆晟睿陪同。", "骆晟睿", ["库欣综合征"]),
        (
            "Huntington disease in father; on Keppra for seizures. Wife Ildiko Toth here.",
            "Ildiko Toth",
            ["Huntington", "Keppra"],
        ),
    ],
)
def test_names_beside_clinical_words_are_still_masked(text, name, kept):
    masked = _deid(text).text
    assert name not in masked
    for word in kept:
        assert word in masked, masked


def test_model_spans_are_widened_to_whole_words():
    text = "takes amiodarone; Kovalenko said"
    assert whole_words(text, 6, 9) == (6, 16)
    assert whole_words(text, 18, 24) == (18, 27)
    assert whole_words("张三说", 0, 2) == (0, 2)


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("予奈必洛尔治疗", 2, 5, True),  # a -olol drug no vocabulary lists
        ("恩格列净", 0, 2, True),  # the stem starts where the span ends
        ("库欣综合征", 0, 2, True),
        ("王芳病情稳定", 0, 2, False),
        ("女儿裴若溪在场", 2, 5, False),
    ],
)
def test_chinese_lookalike_rules(text, start, end, expected):
    assert is_chinese_lookalike(text, start, end) is expected
