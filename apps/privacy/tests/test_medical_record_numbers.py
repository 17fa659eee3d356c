"""Medical record numbers introduced by a keyword are masked by default (logs included): the
log-masking test of the medical flow found an MRN passing the filter untouched."""

from __future__ import annotations

import pytest

from apps.privacy import mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN 88412345 admitted", "MRN <MEDICAL_RECORD_NUMBER> admitted"),
        ("mrn=88412345", "mrn=<MEDICAL_RECORD_NUMBER>"),
        ("MRN-00482913", "MRN-<MEDICAL_RECORD_NUMBER>"),
        ("medical record number: A1234567", "medical record number: <MEDICAL_RECORD_NUMBER>"),
        ("patient id is 7781234", "patient id is <MEDICAL_RECORD_NUMBER>"),
        ("病历号：2023004512", "病历号：<MEDICAL_RECORD_NUMBER>"),
    ],
)
def test_keyword_introduced_record_numbers_are_masked(text, expected):
    language = "zh" if "病历" in text else "en"
    assert mask_pii(text, language=language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/medical/notes/ 201 35 ms",
        "patient id 12",  # too short to identify anyone
        "processed 1042 notes in 3.5 s",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_pii(text) == text
