"""Evaluation figures of an intent classifier on labelled texts (with fallback applied)."""

from __future__ import annotations

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .fallback import OUT_OF_SCOPE


def evaluate(truth: list[str], predicted: list[str], labels: list[str]) -> dict:
    """Per-intent precision/recall/F1/support, the confusion matrix (rows: truth), accuracy,
    macro F1, ``oos_recall`` (share of out-of-scope cases answered with fallback or
    ``out_of_scope``; ``predicted`` already maps fallbacks to ``out_of_scope``) and
    ``in_scope_precision`` (share of in-scope predictions that are right)."""
    names = sorted(set(labels) | set(truth) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=names, zero_division=0)
    per_intent = {
        name: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, name in enumerate(names)
    }
    total = len(truth)
    correct = sum(t == q for t, q in zip(truth, predicted, strict=True))
    oos_cases = [q for t, q in zip(truth, predicted, strict=True) if t == OUT_OF_SCOPE]
    in_scope = [(t, q) for t, q in zip(truth, predicted, strict=True) if q != OUT_OF_SCOPE]
    supported = [name for name in names if per_intent[name]["support"]]
    return {
        "cases": total,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "macro_f1": round(sum(per_intent[n]["f1"] for n in supported) / len(supported), 4)
        if supported
        else 0.0,
        "oos_recall": round(sum(q == OUT_OF_SCOPE for q in oos_cases) / len(oos_cases), 4)
        if oos_cases
        else None,
        "in_scope_precision": round(sum(t == q for t, q in in_scope) / len(in_scope), 4)
        if in_scope
        else None,
        "per_intent": per_intent,
        "labels": names,
        "confusion_matrix": confusion_matrix(truth, predicted, labels=names).tolist(),
    }
