"""Summary checking: the hallucinated summary of issue 20 (negated conditions called
"possible", one sentence twenty times) is flagged, cut and replaced by the template."""

from __future__ import annotations

import pytest

from apps.medical_records.services.summaries import (
    cut_repetitions,
    summary_check,
    summary_flags,
    template_summary,
)

NOTE = "Cough for three days. Denies chest pain. Denies fever. Takes metformin 500 mg daily."


@pytest.fixture(scope="module")
def note_entities(extractor):
    return extractor.extract(NOTE)


def test_negated_conditions_named_possible_are_flagged(extractor, note_entities):
    flags = summary_flags("Possible chest pain and possible fever.", note_entities, extractor)
    assert {(f["text"], f["reason"]) for f in flags} == {
        ("chest pain", "the note negates it"),
        ("fever", "the note negates it"),
    }


def test_medications_and_findings_not_in_the_note_are_flagged(extractor, note_entities):
    flags = summary_flags("Cough; on warfarin and metformin.", note_entities, extractor)
    assert [(f["text"], f["reason"]) for f in flags] == [
        ("warfarin", "not among the extracted entities")
    ]


def test_repeated_sentences_are_cut():
    text, flags = cut_repetitions("Patient has cough. " * 20 + "On metformin.")
    assert text == "Patient has cough. On metformin."
    assert flags[0]["reason"] == "sentence repeated 20 times; kept once"


def test_the_hallucinated_summary_falls_back_to_the_template(extractor, note_entities):
    hallucinated = "Possible chest pain. " * 20
    shown, flags, unsafe, source = summary_check(hallucinated, note_entities, extractor)
    assert source == "template" and not unsafe
    assert shown == template_summary(note_entities)
    assert "Denied: Chest pain, Fever." in shown
    reasons = {f["reason"] for f in flags}
    assert {"the note negates it", "sentence repeated 20 times; kept once"} <= reasons


def test_without_fallback_a_flagged_summary_is_marked_unsafe(extractor, note_entities):
    _, flags, unsafe, source = summary_check(
        "Possible chest pain.", note_entities, extractor, fallback=False
    )
    assert unsafe and source == "model" and flags


def test_flagged_sentences_are_dropped_when_the_rest_is_safe(extractor, note_entities):
    shown, _, unsafe, source = summary_check(
        "Three days of cough. Possible fever.", note_entities, extractor
    )
    assert shown == "Three days of cough." and not unsafe
    assert source == "model (flagged sentences removed)"
