"""Identifiers that no keyword introduces (fifth development set, ``data/dev_v5/``): a code of
seven or more digits, or of five or more digits and a letter, is masked wherever it stands;
quantities, ranges, decimals, dates and telephone numbers are not identifiers.

The examples here are written for these tests (not copied from any evaluation set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.recognizers import CodeShapedIdentifierRecognizer

DEV_V5 = Path(__file__).resolve().parent.parent / "data" / "dev_v5"


def _deid(text: str):
    return deidentify(text, pseudonym=lambda kind, value: f"[{kind}]", date_offset_days=5)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("家属（4417-2290）已签字。", "4417-2290"),
        ("Tube labelled QX8812345 sent to the lab.", "QX8812345"),
        ("证件 44030119780212331X 复印件已存档。", "44030119780212331X"),
        ("Paid with card 4111 1111 1111 1111 at the desk.", "4111 1111 1111 1111"),
        ("档案 ６６１２３４５８９ 已调阅。", "６６１２３４５８９"),
        ("Prior study 17-334521 compared.", "17-334521"),
    ],
)
def test_a_code_shaped_number_is_masked_without_any_keyword(text, value):
    result = _deid(text)
    assert value not in result.text
    assert "[ID]" in result.text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("尿量 3200-3500 ml，入量 4000 ml。", ["3200-3500", "4000"]),
        ("Neutrophils 7500 per microliter, platelets 310000/uL.", ["7500", "310000"]),
        ("2015-2021 年在外院透析。", ["2015-2021"]),
        ("予头孢曲松 2 g 静滴，每日 1 次。", ["2"]),
        ("Chloride 98-107 mmol/L, sodium 141.", ["Chloride", "98-107"]),
        ("Benzathine penicillin G 2.4 million units IM once.", ["Benzathine", "penicillin G"]),
    ],
)
def test_quantities_ranges_and_years_stay(text, kept):
    result = _deid(text)
    for value in kept:
        assert value in result.text


def test_dates_and_telephone_numbers_keep_their_own_kind():
    recognizer = CodeShapedIdentifierRecognizer()
    for value in ("2024-03-15", "20240315", "13812345678", "555-867-5309", "0571-87654321"):
        assert not recognizer.is_identifier(value), value
    assert recognizer.is_identifier("0571876543219")  # 13 digits: no telephone shape


def test_a_number_found_by_its_shape_yields_to_the_telephone_and_date_recognizers():
    result = _deid("Call (617) 555-0142 or 138 1234 5678 after 2024-03-15.")
    assert result.counts() == {"PHONE": 2, "DATE": 1}


def test_the_development_set_is_masked_and_its_numbers_that_are_not_identifiers_stay():
    rows = [json.loads(line) for line in (DEV_V5 / "phi_ids.jsonl").open(encoding="utf-8")]
    missed = [
        value for row in rows for value, _kind in row["phi"] if value in _deid(row["text"]).text
    ]
    assert missed == []
    keep = [json.loads(line) for line in (DEV_V5 / "not_identifiers.jsonl").open(encoding="utf-8")]
    masked = [
        value for row in keep for value in row["keep"] if value not in _deid(row["text"]).text
    ]
    assert masked == []
