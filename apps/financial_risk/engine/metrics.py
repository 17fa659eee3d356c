"""Model metrics for the card: AUC, KS, Gini, Brier, the confusion matrix at the cutoff, and
fairness (approval rate by protected group, disparate-impact ratio)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

# The four-fifths rule: a group approved at under 80% of the best group's rate is flagged.
DISPARATE_IMPACT_FLOOR = 0.8


def classification_metrics(y: np.ndarray, p: np.ndarray, *, cutoff: float) -> dict:
    """``cutoff``: probabilities at or above it are predicted positive (not approved)."""
    auc = float(roc_auc_score(y, p))
    fpr, tpr, _ = roc_curve(y, p)
    predicted = p >= cutoff
    positive = y == 1
    return {
        "auc": round(auc, 4),
        "gini": round(2 * auc - 1, 4),
        "ks": round(float(np.max(tpr - fpr)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "cutoff": cutoff,
        "confusion_matrix": {
            "true_positive": int(np.sum(predicted & positive)),
            "false_positive": int(np.sum(predicted & ~positive)),
            "true_negative": int(np.sum(~predicted & ~positive)),
            "false_negative": int(np.sum(~predicted & positive)),
        },
        "rows": int(len(y)),
    }


def protected_groups(values: np.ndarray, numeric: bool, edges: list[float] | None = None):
    """Group labels per row: categories as they are; numeric attributes (age) in bands at
    ``edges`` (default: quartiles)."""
    if not numeric:
        return np.array(["(missing)" if v is None else str(v) for v in values], dtype=object)
    values = np.asarray(values, dtype=np.float64)
    if edges is None:
        finite = values[~np.isnan(values)]
        edges = sorted(set(np.quantile(finite, [0.25, 0.5, 0.75]).tolist())) if finite.size else []
    bounds = [-np.inf, *edges, np.inf]
    labels = []
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        lo = "" if np.isinf(low) else f"{low:g}"
        hi = "" if np.isinf(high) else f"{high:g}"
        labels.append(f"[{lo}, {hi})" if lo and hi else (f"< {hi}" if hi else f">= {lo}"))
    index = np.searchsorted(np.asarray(edges), values, side="right")
    out = np.array([labels[i] for i in index], dtype=object)
    out[np.isnan(values)] = "(missing)"
    return out


def fairness(groups_by_attribute: dict[str, np.ndarray], approved: np.ndarray) -> dict:
    """Approval rate per group of each protected attribute and the disparate-impact ratio
    (lowest group's rate over the highest's), flagged below 0.8."""
    report = {}
    for attribute, groups in groups_by_attribute.items():
        rates = {}
        for group in sorted(set(groups.tolist())):
            members = groups == group
            rates[group] = {
                "applicants": int(members.sum()),
                "approval_rate": round(float(approved[members].mean()), 4),
            }
        values = [r["approval_rate"] for r in rates.values()]
        ratio = (min(values) / max(values)) if values and max(values) > 0 else None
        report[attribute] = {
            "groups": rates,
            "disparate_impact": None if ratio is None else round(ratio, 4),
            "flagged": ratio is not None and ratio < DISPARATE_IMPACT_FLOOR,
        }
    return report
