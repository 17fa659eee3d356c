"""Eponyms and brand names that look like person names (sixth development set,
``data/dev_v6/``): a capitalised span that opens an eponym's phrase is not a name, in English
and Chinese; real names beside them, and names before an ordinary clinical word, stay masked."""

from __future__ import annotations

import pytest

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.lookalikes import is_eponym_phrase, trim_medical
from apps.medical_records.engine.zh_lookalikes import is_chinese_lookalike


def _span(text: str, value: str) -> tuple[int, int]:
    start = text.index(value)
    return start, start + len(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Austin Flint murmur heard at apex.", "Austin Flint"),  # two names, a murmur
        ("Argyll Robertson pupils on exam.", "Argyll Robertson"),  # plural noun
        ("Marcus Gunn pupil on the right.", "Marcus Gunn"),  # a census first name
        ("Mallory-Weiss tear on endoscopy.", "Mallory-Weiss"),  # hyphenated
        ("Epstein-Barr virus serology positive.", "Epstein"),  # words after the span
        ("Bence Jones protein in the urine.", "Bence Jones"),
        ("Roth spots on fundoscopy.", "Roth"),
        ("Chvostek signs present bilaterally.", "Chvostek"),  # no determiner: a noun
        ("Wolff, Parkinson, White pattern aside, Osler nodes seen.", "Osler"),
    ],
)
def test_eponym_phrases(text, value):
    assert is_eponym_phrase(text, *_span(text, value))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Dr. Graves test results reviewed.", "Graves"),  # a title before it
        ("Mrs. Turner syndrome screen declined.", "Turner"),
        ("Amaka Obi tests her glucose twice daily.", "Amaka Obi"),  # a verb, then "her"
        ("Kwame Asante signs the consent form.", "Kwame Asante"),
        ("Tobias Lindgren fever resolved overnight.", "Tobias Lindgren"),  # not an eponym's noun
        ("Spoke with Ruth Barlow about the test results.", "Ruth Barlow"),
        ("刘洋肺炎好转，今日出院。", "刘洋"),  # no case in Chinese
    ],
)
def test_names_are_not_eponym_phrases(text, value):
    assert not is_eponym_phrase(text, *_span(text, value))


def test_chinese_named_diseases_and_shi_eponyms():
    assert is_chinese_lookalike("右侧贝尔麻痹，口角歪斜。", 2, 4)
    assert is_chinese_lookalike("腘窝贝克囊肿。", 2, 4)
    assert is_chinese_lookalike("麦氏点压痛阳性。", 0, 2)
    # Generic disease and symptom words follow real names: those names stay names.
    assert not is_chinese_lookalike("刘洋肺炎好转，今日出院。", 0, 2)
    assert not is_chinese_lookalike("王建国血压平稳，继续观察。", 0, 3)
    assert not is_chinese_lookalike("王氏症状缓解。", 0, 2)


def test_joining_words_go_with_medical_words():
    text = "Started Entresto and"
    assert trim_medical(text, 8, len(text)) == (8, 8)
    # Without a medical word in the span, "and" stays part of what a model found.
    text = "Henrik Dahl and"
    assert trim_medical(text, 0, len(text)) == (0, len(text))


def test_eponym_kept_and_name_beside_it_masked():
    text = "Austin Flint murmur heard at apex; son Tariq Haddad visiting."
    result = deidentify(text, pseudonym=lambda kind, value: f"[{kind}]", date_offset_days=5)
    assert "Austin Flint murmur" in result.text, result.text
    assert "Tariq Haddad" not in result.text
