"""The statistical detectors (spaCy en_core_web_md, Rampart ONNX, Baidu LAC) in the general
analyzer and in log masking: names without cues, lowercase names, Chinese names."""

from __future__ import annotations

import pytest

from apps.privacy import logmask
from apps.privacy.logmask import mask_for_log
from apps.privacy.masking import detect_pii
from apps.privacy.statistical import EnglishModelRecognizer, english_model_spans, lac_spans


def test_both_english_models_find_a_name_without_a_cue():
    text = "husband Oluwaseun Adeyemi visited"
    # spaCy calls it a place, Rampart a name: both report it, and the recognizer says PERSON.
    assert {model for _, _, _, model in english_model_spans(text)} == {"spaCy", "Rampart"}
    results = EnglishModelRecognizer().analyze(text, ["PERSON"])
    assert {r.entity_type for r in results} == {"PERSON"}


def test_lac_tags_compound_surnames():
    text = "陪同家属欧阳娜娜，张三丰说"
    names = {text[start:end] for start, end, tag in lac_spans(text) if tag == "PER"}
    assert {"欧阳娜娜", "张三丰"} <= names


def test_recall_first_policy_keeps_what_one_model_reports():
    text = "Marcus said the pain was worse."
    general = EnglishModelRecognizer().analyze(text, ["PERSON"])
    recall = EnglishModelRecognizer(recall_first=True).analyze(text, ["PERSON"])
    assert any(text[r.start : r.end] == "Marcus" for r in recall)
    assert len(recall) >= len(general)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("callback requested by marta lopez for her account", "marta lopez"),
        ("ticket escalated: Oluwaseun Adeyemi called twice", "Oluwaseun Adeyemi"),
        ("家属欧阳娜娜来电询问", "欧阳娜娜"),
    ],
)
def test_log_masking_uses_the_statistical_detectors_case_insensitively(text, name):
    logmask.clear_log_cache()
    masked = mask_for_log(text)
    assert name not in masked
    assert name.split()[0] not in masked


def test_general_policy_leaves_a_single_listed_word_alone():
    assert not [f for f in detect_pii("Mark as read") if f.entity_type == "PERSON"]
