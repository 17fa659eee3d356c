"""The fallback decision, with the semantics of Rasa's FallbackClassifier: fall back when the
top confidence is under ``threshold``, or when the top two are closer than
``ambiguity_margin``. ``out_of_scope`` is a trained intent of its own; both it and a fallback
count as "not answered as in scope" for the evaluation's ``oos_recall``."""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Decision:
    intent: str  # the top intent, or FALLBACK
    confidence: float
    fallback: bool
    reason: str  # "", "low_confidence" or "ambiguous"
    top: str  # the classifier's top intent, even when falling back


def decide(ranking: list[dict], *, threshold: float, ambiguity_margin: float) -> Decision:
    if not ranking:
        return Decision(FALLBACK, 0.0, True, "low_confidence", "")
    first = ranking[0]
    top, confidence = first["name"], float(first["confidence"])
    second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
    if confidence < threshold:
        return Decision(FALLBACK, confidence, True, "low_confidence", top)
    if confidence - second < ambiguity_margin:
        return Decision(FALLBACK, confidence, True, "ambiguous", top)
    return Decision(top, confidence, False, "", top)


def as_label(decision: Decision) -> str:
    """The label an evaluation compares with the truth: a fallback answers "out of scope"."""
    return OUT_OF_SCOPE if decision.fallback else decision.intent
