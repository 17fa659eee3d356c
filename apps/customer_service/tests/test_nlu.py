"""The language understanding without the database: the fallback rule (threshold and
ambiguity margin), classifiers, slot patterns and the evaluation figures."""

from __future__ import annotations

import numpy as np
import pytest

from apps.customer_service.engine import classifier
from apps.customer_service.engine.evaluation import evaluate
from apps.customer_service.engine.fallback import FALLBACK, as_label, decide
from apps.customer_service.engine.slots import extract_patterns, extract_product


def ranking(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_confident_and_clear_top_intent_is_taken():
    d = decide(ranking(("refund", 0.8), ("return", 0.1)), threshold=0.4, ambiguity_margin=0.1)
    assert (d.intent, d.fallback, d.reason) == ("refund", False, "")


def test_low_confidence_falls_back():
    d = decide(ranking(("refund", 0.35), ("return", 0.05)), threshold=0.4, ambiguity_margin=0.1)
    assert (d.intent, d.fallback, d.reason, d.top) == (FALLBACK, True, "low_confidence", "refund")
    assert as_label(d) == "out_of_scope"


def test_ambiguous_top_two_fall_back():
    d = decide(ranking(("refund", 0.48), ("return", 0.42)), threshold=0.4, ambiguity_margin=0.1)
    assert (d.fallback, d.reason) == (True, "ambiguous")


@pytest.mark.parametrize(
    "threshold,margin,fallback",
    [(0.4, 0.1, True), (0.4, 0.05, False), (0.5, 0.05, True), (0.3, 0.0, False)],
)
def test_both_settings_are_configurable(threshold, margin, fallback):
    d = decide(
        ranking(("refund", 0.48), ("return", 0.42)), threshold=threshold, ambiguity_margin=margin
    )
    assert d.fallback is fallback


def test_classifier_round_trips_through_its_stored_state():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(10, 8)) + 2, rng.normal(size=(10, 8)) - 2
    texts = ["refund me"] * 10 + ["where is my order"] * 10
    fitted = classifier.fit(np.vstack([a, b]), texts, ["refund"] * 10 + ["order_status"] * 10)
    again = classifier.FittedClassifier.from_state(fitted.to_state())
    top = again.ranking(a[0], "refund me")[0]
    assert top["name"] == "refund" and top["confidence"] > 0.9
    assert abs(sum(r["confidence"] for r in again.ranking(b[0], "x")) - 1) < 1e-3


def test_patterns_find_order_number_and_email_but_not_digits_in_the_address():
    assert extract_patterns("my order is #10023, mail me at ann99999@example.com") == {
        "order_number": "10023",
        "email": "ann99999@example.com",
    }
    assert extract_patterns("it is 10045") == {"order_number": "10045"}
    assert extract_patterns("I have 2 jackets") == {}


def test_the_product_slot_is_the_best_of_the_callers_entity_links():
    # The engine gets the links from its caller (no database here): highest score wins, then
    # the longer mention.
    links = [
        {"key": "product:shell", "label": "Shell", "score": 0.9, "start": 4, "end": 9},
        {"key": "product:stormshell", "label": "StormShell", "score": 0.9, "start": 0, "end": 10},
        {"key": "product:boot", "label": "Boot", "score": 0.5, "start": 12, "end": 16},
    ]
    assert extract_product(links) == {
        "product": "product:stormshell",
        "product_label": "StormShell",
    }
    assert extract_product([]) == {}


def test_evaluation_figures():
    truth = ["refund", "refund", "out_of_scope", "out_of_scope", "greeting"]
    predicted = ["refund", "out_of_scope", "out_of_scope", "greeting", "greeting"]
    report = evaluate(truth, predicted, ["refund", "greeting", "out_of_scope"])
    assert report["accuracy"] == 0.6
    assert report["oos_recall"] == 0.5  # one of two OOS cases answered as out of scope
    # in-scope predictions: refund (right), greeting (wrong), greeting (right)
    assert report["in_scope_precision"] == round(2 / 3, 4)
    assert report["per_intent"]["refund"]["recall"] == 0.5
    assert report["confusion_matrix"][report["labels"].index("refund")] == [0, 1, 1]


def test_the_tone_instruction_follows_the_sentiment():
    from apps.customer_service.models import AssistantSettings
    from apps.customer_service.services.replies import prompt_messages

    config = AssistantSettings(brand_name="Acme", languages=["en", "zh"])
    facts = [{"key": "policy:payment", "text": "We accept Visa."}]
    args = {"config": config, "language": "en", "facts": facts}
    upset = prompt_messages(**args, history=[], text="x", sentiment="negative")
    calm = prompt_messages(**args, history=[], text="x", sentiment="neutral")
    assert "apology" in upset[0]["content"] and "apology" not in calm[0]["content"]
    assert "<<<\n[1] We accept Visa.\n>>>" in calm[0]["content"]
    history = [{"role": "user", "text": "hi"}, {"role": "assistant", "text": "Hello!"}]
    with_history = prompt_messages(**args, history=history, text="x", sentiment="neutral")
    assert [m["role"] for m in with_history] == ["system", "user", "assistant", "user"]
