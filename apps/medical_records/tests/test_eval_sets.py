"""The held-out sets (the second ones, and the third assertion set): where ``evaluate_medical``
reads them, how large they are, that the generators reproduce them, and that they share no term
or name with earlier material."""

import json
import random
from collections import Counter

from apps.medical_records.evaluation import make_heldout_v2, make_heldout_v3, set_names, set_terms
from apps.medical_records.evaluation.scores import (
    HELDOUT_ASSERTIONS,
    HELDOUT_ENTITIES,
    HELDOUT_PHI,
    read_jsonl,
)
from apps.medical_records.evaluation.set_names import _census_words
from apps.medical_records.services.ner import _evaluation_terms


def test_evaluate_medical_reads_the_held_out_sets():
    for path in (HELDOUT_PHI, *HELDOUT_ENTITIES):
        assert path.parent.name == "heldout_v2" and path.exists()
    # The second assertion set's errors were seen (2026-12-07): the third replaced it.
    assert HELDOUT_ASSERTIONS.parent.name == "heldout_v3" and HELDOUT_ASSERTIONS.exists()


def test_the_third_assertion_set_is_what_its_generator_writes_and_reuses_no_term():
    rows = make_heldout_v3.build(random.Random(make_heldout_v3.SEED))["assertions.jsonl"]
    assert read_jsonl(HELDOUT_ASSERTIONS) == json.loads(json.dumps(rows, ensure_ascii=False))
    others = make_heldout_v3._texts_of_every_set()  # every other set file, lowercased
    assert not {row["concept"].lower() for row in rows if row["concept"].lower() in others}


def test_the_files_are_what_the_generator_writes():
    sets, *_ = make_heldout_v2.build()
    for filename, rows in sets.items():
        on_disk = read_jsonl(make_heldout_v2.OUT / filename)
        assert on_disk == json.loads(json.dumps(rows, ensure_ascii=False)), filename


def test_sizes_meet_the_issue():
    phi = read_jsonl(HELDOUT_PHI)
    items = [(value, kind, row.get("cue")) for row in phi for value, kind in row["phi"]]
    no_cue_names = [i for i in items if i[1] == "NAME" and i[2] is False]
    assert len(items) >= 200 and len(no_cue_names) * 2 >= len(items)
    for path in HELDOUT_ENTITIES:
        assert sum(len(row["entities"]) for row in read_jsonl(path)) >= 150
    languages = Counter(row["language"] for row in read_jsonl(HELDOUT_ASSERTIONS))
    assert languages["en"] >= 80 and languages["zh"] >= 80


def test_no_term_or_name_of_earlier_material_is_reused():
    earlier = {t[0].casefold() for t in set_terms.EN_TERMS + set_terms.ZH_TERMS}
    earlier |= {t[0].casefold() for t in set_terms.DEV_EN_TERMS + set_terms.DEV_ZH_TERMS}
    for path in HELDOUT_ENTITIES:
        for row in read_jsonl(path):
            assert not {e[0].casefold() for e in row["entities"]} & earlier
    old_names = {w.casefold() for w in set_names.EN_GIVEN + set_names.EN_FAMILY}
    census = _census_words()
    for row in read_jsonl(HELDOUT_PHI):
        for value, kind in row["phi"]:
            if kind == "NAME" and value.isascii():
                assert not {w.casefold() for w in value.split()} & (census | old_names)


def test_the_ner_training_leaves_the_second_held_out_terms_out():
    terms = _evaluation_terms()
    for path in HELDOUT_ENTITIES:
        assert {e[0].casefold() for row in read_jsonl(path) for e in row["entities"]} <= terms
