"""Chinese clinical vocabulary and assertion cues, English backward cues, Chinese record-number
cues and the look-alike word sources, from the third development sets (``data/dev_v3/``)."""

from __future__ import annotations

import pytest

from apps.medical_records.engine.deid import deidentify
from apps.medical_records.engine.english import bidirectional
from apps.medical_records.engine.lookalikes import is_lookalike, medical_words
from apps.medical_records.engine.vocabulary import (
    chinese_lexicon,
    chinese_rows,
    icd_codes,
    icd_eponyms,
    icd_lexicon,
    resolve_chinese_row,
)
from apps.medical_records.engine.zh_lookalikes import is_chinese_lookalike


def _by_text(extractor, text):
    return {e["text"]: e for e in extractor.extract(text)}


def _deid(text: str):
    return deidentify(text, pseudonym=lambda kind, value: f"[{kind}]", date_offset_days=5)


def test_every_chinese_condition_row_resolves_to_an_existing_icd_code():
    rows = chinese_rows()
    assert len(rows) >= 1000
    codes = icd_codes()
    for surface, entity_type, english, code in rows:
        entry = resolve_chinese_row(entity_type, english, code)
        assert entry is not None, surface
        if entity_type == "condition":
            assert entry.system == "ICD-10-CM" and entry.code in codes, surface
        else:
            assert entry.label == english.casefold(), surface
    assert len(chinese_lexicon()) >= 1000


@pytest.mark.parametrize(
    ("text", "term", "entity_type", "expected"),
    [
        ("入院诊断：急性胆囊炎，予头孢呋辛抗感染。", "急性胆囊炎", "condition", "K81.0"),
        ("入院诊断：急性胆囊炎，予头孢呋辛抗感染。", "头孢呋辛", "medication", "cefuroxime"),
        ("既往诊断慢阻肺，长期吸入异丙托溴铵。", "慢阻肺", "condition", "J44.9"),
        ("既往诊断慢阻肺，长期吸入异丙托溴铵。", "异丙托溴铵", "medication", "ipratropium"),
        ("门诊以“房颤”收入，予替格瑞洛。", "房颤", "condition", "I48.91"),
        ("出院带药：沙库巴曲缬沙坦。", "沙库巴曲缬沙坦", "medication", "sacubitril / valsartan"),
    ],
)
def test_chinese_clinical_terms_are_found_and_coded(extractor, text, term, entity_type, expected):
    entity = _by_text(extractor, text)[term]
    assert entity["type"] == entity_type
    if entity_type == "medication":
        assert entity["generic"] == expected
    else:
        assert entity["code"]["system"] == "ICD-10-CM"
        assert entity["code"]["code"] == expected


@pytest.mark.parametrize(
    ("text", "term", "assertion"),
    [
        ("已排除肺栓塞。", "肺栓塞", "negated"),
        ("影像学检查排除急性阑尾炎。", "急性阑尾炎", "negated"),
        ("肺栓塞已排除。", "肺栓塞", "negated"),
        ("急性阑尾炎不除外。", "急性阑尾炎", "uncertain"),
        ("不除外急性阑尾炎。", "急性阑尾炎", "uncertain"),
        ("可能为带状疱疹。", "带状疱疹", "uncertain"),
        ("需排除肺栓塞。", "肺栓塞", "uncertain"),
        ("家族史：其父患痛风。", "痛风", "family"),
        ("其姐患系统性红斑狼疮。", "系统性红斑狼疮", "family"),
        ("一级亲属中有结肠癌患者。", "结肠癌", "family"),
        ("肺结核已治愈。", "肺结核", "historical"),
        ("既往胃溃疡十余年。", "胃溃疡", "historical"),
        ("患者今日出现便秘。", "便秘", "present"),
    ],
)
def test_chinese_assertion_cues(extractor, text, term, assertion):
    assert _by_text(extractor, text)[term]["assertion"] == assertion


@pytest.mark.parametrize(
    ("text", "term", "assertion"),
    [
        ("Appendicitis cannot be excluded.", "Appendicitis", "uncertain"),
        ("Pneumothorax could not be excluded on the CT.", "Pneumothorax", "uncertain"),
        ("Meningitis remains a possibility.", "Meningitis", "uncertain"),
        ("Endocarditis is not excluded.", "Endocarditis", "uncertain"),
        ("Cholecystitis has been excluded.", "Cholecystitis", "negated"),
        ("Pancreatitis was ruled out.", "Pancreatitis", "negated"),
        ("Cannot exclude appendicitis.", "appendicitis", "uncertain"),
    ],
)
def test_english_cues_after_the_condition(extractor, text, term, assertion):
    assert _by_text(extractor, text)[term]["assertion"] == assertion


def test_a_literal_listed_both_ways_becomes_one_bidirectional_rule():
    rules = bidirectional([("x", "A", "FORWARD"), ("x", "A", "BACKWARD"), ("y", "A", "FORWARD")])
    assert rules == [("x", "A", "BIDIRECTIONAL"), ("y", "A", "FORWARD")]


@pytest.mark.parametrize(
    ("surface", "prefix"),
    [
        ("aortic dissection", "I71.0"),
        ("subarachnoid hemorrhage", "I60"),
        ("diverticulitis", "K57"),
        ("guillain barre syndrome", "G61.0"),
    ],
)
def test_icd_descriptions_give_the_forms_notes_write(surface, prefix):
    assert icd_lexicon()[surface].code.startswith(prefix)


def test_a_site_free_neoplasm_word_is_not_a_surface():
    assert "carcinoma" not in icd_lexicon()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("病案号码：ZY634698", "ZY634698"),
        ("病历编号：MZ-16514", "MZ-16514"),
        ("病案号：4512-8830，患者男。", "4512-8830"),
        ("病案号４５１２８８３０", "４５１２８８３０"),
        ("住院号：　ZY2023045，床号：12", "ZY2023045"),
    ],
)
def test_chinese_record_numbers_after_their_cues_are_masked(text, value):
    result = _deid(text)
    assert value not in result.text
    assert "[ID]" in result.text


def test_covid_is_not_an_identifier_keyword():
    assert "2019" in _deid("COVID 2019 pneumonia.").text


def test_icd_eponyms_protect_rare_eponyms_but_not_common_names():
    eponyms = icd_eponyms()
    assert {"guillain", "wenckebach", "stargardt", "george"} <= eponyms
    words = medical_words()
    assert {"wenckebach", "stargardt"} <= words
    assert "george" not in words and "james" not in words
    assert is_lookalike("Stargardt disease.", "Stargardt", 9)
    assert not is_lookalike("George James said", "George James", 12)


@pytest.mark.parametrize(
    ("text", "span"),
    [("予缬沙坦口服", "缬沙坦"), ("加用头孢呋辛", "头孢呋辛"), ("予吉非替尼治疗", "吉非替尼")],
)
def test_chinese_drug_names_are_lookalikes_not_names(text, span):
    start = text.index(span)
    assert is_chinese_lookalike(text, start, start + len(span))


def test_a_chinese_name_beside_a_drug_is_still_a_name():
    text = "陪同家属王建国，予缬沙坦口服。"
    start = text.index("王建国")
    assert not is_chinese_lookalike(text, start, start + 3)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("既往有高血压病史10年。", "高血压"),
        ("肝病病程较长。", "肝病"),
        ("慢性肾病史。", "慢性肾病"),
    ],
)
def test_a_term_ending_in_bing_gives_it_back_to_bingshi(extractor, text, term):
    assert term in _by_text(extractor, text)


@pytest.mark.parametrize(
    ("text", "term", "code"),
    [
        ("超声提示尿道结石。", "尿道结石", "N21.1"),
        ("胃镜见食管溃疡。", "食管溃疡", "K22.1"),
        ("超声示附睾囊肿。", "附睾囊肿", "N50.3"),
        ("脾梗死可能。", "脾梗死", "D73.5"),
    ],
)
def test_chinese_compounds_are_composed_and_coded(extractor, text, term, code):
    assert term not in {row[0] for row in chinese_rows()}  # not written by hand
    entity = _by_text(extractor, text)[term]
    assert entity["code"]["code"] == code


def test_compounds_only_where_icd_has_the_english_form():
    from apps.medical_records.engine.vocabulary import composed_chinese_lexicon

    composed = composed_chinese_lexicon()
    assert len(composed) >= 400
    assert "宫颈痛" not in composed and "神经病" not in composed
    assert all(entry.code for entry in composed.values())


@pytest.mark.parametrize(
    "text",
    [
        "Ludwig angina suspected, ENT consulted.",
        "Jackson-Pratt drain removed; Hickman line in place.",
        "Osler nodes and Janeway lesions seen.",
        "Cheyne-Stokes respiration overnight.",
        "Takotsubo cardiomyopathy on echo.",
        "Barrett esophagus on EGD.",
    ],
)
def test_a_single_word_before_a_clinical_noun_is_an_eponym_not_a_name(text):
    assert _deid(text).text == text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kwame signs the consent form.", "Kwame"),
        ("Seen by Dr. Virchow today.", "Virchow"),
        ("Sister Thandiwe Khumalo visited; Gilbert syndrome noted.", "Thandiwe Khumalo"),
    ],
)
def test_names_beside_eponym_rules_are_still_masked(text, name):
    assert name not in _deid(text).text


def test_common_chinese_words_are_not_names_but_name_words_may_be():
    from apps.medical_records.engine.zh_lookalikes import common_words

    words = common_words()
    assert {"温度", "计划", "平素"} <= words
    assert "高峰" not in words and "黎明" not in words  # jieba tags them nr: names too
    text = "复查温度正常"
    assert is_chinese_lookalike(text, 2, 4)
    text = "家属高峰陪同"
    assert not is_chinese_lookalike(text, 2, 4)


def test_a_chinese_eponym_sign_is_not_a_name_but_zhengqiu_is_no_sign():
    from apps.medical_records.engine.zh_lookalikes import _EPONYM_NEXT

    assert _EPONYM_NEXT.match("征阳性") and _EPONYM_NEXT.match("试验阴性")
    assert not _EPONYM_NEXT.match("征求意见")
