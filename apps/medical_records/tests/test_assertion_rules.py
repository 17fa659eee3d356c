"""Assertion rules found wrong on the development sets (``data/dev/``): a cue inside the
entity's own name, a shipped ConText rule in the wrong category, and ICD-10-CM "history of"
descriptions that swallowed their cue."""

import pytest

from apps.medical_records.engine.english import shipped_rules
from apps.medical_records.engine.vocabulary import icd_lexicon


def _by_text(extractor, text):
    return {e["text"]: e for e in extractor.extract(text)}


def test_a_cue_inside_the_entity_name_does_not_modify_it(extractor):
    entities = _by_text(extractor, "Probable migraine without aura.")
    assert entities["migraine without aura"]["assertion"] == "uncertain"
    entities = _by_text(extractor, "Migraine without aura since her teens.")
    assert entities["Migraine without aura"]["assertion"] == "present"


def test_a_cue_before_the_entity_still_negates_it(extractor):
    entities = _by_text(extractor, "Presents without migraine or fever.")
    assert entities["migraine"]["assertion"] == "negated"


@pytest.mark.parametrize(
    "text", ["Evaluate for DVT of the left leg.", "Will evaluate for possible DVT."]
)
def test_evaluate_for_is_uncertain_not_negated(extractor, text):
    assert _by_text(extractor, text)["DVT"]["assertion"] == "uncertain"


def test_the_shipped_rules_are_loaded_less_the_recategorised_one():
    literals = {rule.literal.lower() for rule in shipped_rules()}
    assert "evaluate for" not in literals
    assert {"no", "deny", "history", "without"} <= literals and len(literals) >= 100


@pytest.mark.parametrize(
    ("text", "assertion", "prefix"),
    [
        ("Family history of glaucoma in her father.", "family", "H40"),
        ("Personal history of nephrotic syndrome.", "historical", "N04"),
    ],
)
def test_history_of_descriptions_leave_the_cue_to_context(extractor, text, assertion, prefix):
    entity = next(e for e in extractor.extract(text) if e["type"] == "condition")
    assert entity["assertion"] == assertion
    assert entity["code"]["code"].startswith(prefix)
    prefixes = ("family history of", "personal history of")
    assert not any(surface.startswith(prefixes) for surface in icd_lexicon())
